/** The uplift model: its dataset from campaign runs (ledger + raw log), training, export, registration and the skip reasons. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trainFromRawLog } from '../../functions/train/runTraining';
import type { PersonState } from '#lib/contacts';
import { MemoryContactLedger } from '#lib/contacts/memoryLedger';
import type { RawEvent } from '#lib/events/contract';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { seededRandom } from '#lib/random';
import { campaignOutcomes } from '#models/datasets/campaignOutcomes';
import { campaignRuns, recordCampaignRun } from '#models/datasets/campaignRuns';
import { FEATURE_NAMES, propensityFeatures } from '#models/propensity/features';
import { ModelRegistry } from '#models/registry';
import { exportUplift, UPLIFT_MODEL, UpliftScorer } from '#models/uplift/serving';
import { fitTLearner, upliftOf } from '#models/uplift/tLearner';
import { putRawLog as putRawLogIn, rawEvent } from '../fixtures/rawLog';

const quiet = createLogger({}, () => undefined);
const DAY = 86_400_000;
const START = Date.parse('2026-11-10T10:00:00+08:00');
const RUN_ID = new Date(START).toISOString();
const RUN = `spring@${RUN_ID}`;

let dir: string;
let store: LocalObjectStore;
let ledger: MemoryContactLedger;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-uplift-'));
  store = new LocalObjectStore(dir, 'mkt-data');
  ledger = new MemoryContactLedger();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ev = rawEvent;
const putRawLog = (events: RawEvent[]) => putRawLogIn(store, events);

const sent: PersonState = { status: 'sent', variant: 'a', messageId: 'm', segments: 1 };
const control: PersonState = { status: 'control' };

async function settle(run: string, states: Record<string, PersonState>) {
  await ledger.claim(run, Object.keys(states), START);
  await ledger.settle(run, new Map(Object.entries(states)));
}

describe('campaign runs', () => {
  it('are found where campaign records them and where their reports are, each once, oldest first', async () => {
    await recordCampaignRun(store, { campaign: 'spring', runId: RUN_ID, attributionDays: 7 });
    await recordCampaignRun(store, { campaign: 'spring', runId: RUN_ID, attributionDays: 7 }); // a replayed run
    const earlier = new Date(START - 3 * DAY).toISOString();
    await store.put(
      `campaign-reports/runs/autumn@${earlier}.json`,
      Buffer.from(JSON.stringify({ campaign: 'autumn', run: `autumn@${earlier}`, startedAt: earlier, attributionDays: 3 })),
    );
    await store.put(
      `campaign-reports/runs/spring@${RUN_ID}.json`,
      Buffer.from(JSON.stringify({ campaign: 'spring', run: RUN, startedAt: RUN_ID, attributionDays: 7 })),
    );
    expect(await campaignRuns(store)).toEqual([
      { campaign: 'autumn', runId: earlier, attributionDays: 3 },
      { campaign: 'spring', runId: RUN_ID, attributionDays: 7 },
    ]);
  });
});

describe('campaign outcomes dataset', () => {
  it(
    'takes sent people as treated and control as control, labels purchases ' +
      'within the attribution window, and computes features as of the run start',
    async () => {
      await putRawLog([
        ev('t1', 'add_to_cart', START - 2 * DAY),
        ev('t1', 'add_to_cart', START + DAY), // during the run: not a feature
        ev('t1', 'purchase', START + 2 * DAY, { price: 40 }), // within 7 days: converted, and not spend at the start
        ev('c1', 'page_view', START - 10 * DAY),
        ev('c1', 'purchase', START + 9 * DAY, { price: 5 }), // after the window
        ev('s1', 'purchase', START + DAY, { price: 5 }),
        ev('late', 'click', START + 10 * DAY), // the log's last event: the 7-day window is over
      ]);
      await settle(RUN, {
        t1: sent,
        c1: control,
        s1: { status: 'suppressed', reason: 'no_consent' },
        f1: { status: 'failed', variant: 'a', code: 'X', failure: 'permanent' },
      });
      const open = { campaign: 'summer', runId: new Date(START + 5 * DAY).toISOString(), attributionDays: 7 };
      await settle(`summer@${open.runId}`, { t1: sent });

      const set = await campaignOutcomes(store, ledger, [{ campaign: 'spring', runId: RUN_ID, attributionDays: 7 }, open]);
      expect(set.runs).toEqual([RUN]);
      expect(set.open).toBe(1);
      expect(set.examples).toEqual([
        { run: RUN, userId: 'c1', treated: 0, converted: 0, at: START },
        { run: RUN, userId: 't1', treated: 1, converted: 1, at: START },
      ]);
      const t1 = set.users[1];
      expect(t1.counts.add_to_cart).toEqual({ d1: 0, d7: 1, d30: 1 });
      expect(t1.spend).toBe(0);
      const x = propensityFeatures(t1, START);
      expect(x[FEATURE_NAMES.indexOf('log_days_since_active')]).toBeCloseTo(Math.log1p(2), 9);
      expect(x[FEATURE_NAMES.indexOf('log_purchase_d30')]).toBe(0);
    },
  );
});

/**
 * People of three kinds: cart abandoners (bought 10% of the time, 55% when messaged), loyal
 * buyers (50% either way) and browsers (5% either way). Only the cart abandoners are lifted.
 */
function campaignPopulation(people = 1500, seed = 9) {
  const rand = seededRandom(seed);
  const events: RawEvent[] = [];
  const states: Record<string, PersonState> = {};
  const kindOf = new Map<string, 'cart' | 'loyal' | 'browser'>();
  for (let i = 0; i < people; i++) {
    const user = `p${i}`;
    const kind = (['cart', 'loyal', 'browser'] as const)[i % 3];
    kindOf.set(user, kind);
    const treated = rand() >= 0.3;
    states[user] = treated ? sent : control;
    for (let k = 0; k < 2 + Math.floor(rand() * 4); k++) events.push(ev(user, 'page_view', START - Math.floor(rand() * 20 * DAY) - 1));
    if (kind === 'cart')
      for (let k = 0; k < 1 + Math.floor(rand() * 2); k++) events.push(ev(user, 'add_to_cart', START - Math.floor(rand() * 5 * DAY) - 1));
    if (kind === 'loyal')
      for (let k = 0; k < 1 + Math.floor(rand() * 3); k++)
        events.push(ev(user, 'purchase', START - Math.floor(rand() * 25 * DAY) - 1, { price: 30 }));
    const p = kind === 'cart' ? (treated ? 0.55 : 0.1) : kind === 'loyal' ? 0.5 : 0.05;
    if (rand() < p) events.push(ev(user, 'purchase', START + Math.floor(rand() * 6 * DAY), { price: 30 }));
  }
  events.push(ev('late', 'click', START + 8 * DAY));
  return { events, states, kindOf };
}

async function campaignOnRecord(population: ReturnType<typeof campaignPopulation>) {
  await putRawLog(population.events);
  await settle(RUN, population.states);
  await recordCampaignRun(store, { campaign: 'spring', runId: RUN_ID, attributionDays: 7 });
}

describe('uplift model', () => {
  it('ranks the segment the message lifts first, promotes it, and keeps the champion on a retrain of the same data', async () => {
    const population = campaignPopulation();
    await campaignOnRecord(population);
    const registry = new ModelRegistry(store);
    const deps = (at: string) => ({ registry, logger: quiet, clock: () => Date.parse(at) });

    const [, , first] = await trainFromRawLog(deps('2026-11-19T03:30:00Z'), store, {}, quiet, ledger);
    if (!('metrics' in first)) throw new Error(`skipped: ${first.skipped}`);
    expect(first).toMatchObject({ model: UPLIFT_MODEL, promoted: true });
    expect(first.metrics.qini).toBeGreaterThan(0.2);

    const set = await campaignOutcomes(store, ledger, await campaignRuns(store));
    const rows = set.examples.map((e, i) => propensityFeatures(set.users[i], e.at));
    const { uplift } = await (await UpliftScorer.load((await registry.model(UPLIFT_MODEL, first.version))!)).score(rows);
    const meanUplift = (kind: string) => {
      const of = set.examples.flatMap((e, i) => (population.kindOf.get(e.userId) === kind ? [uplift[i]] : []));
      return of.reduce((s, u) => s + u, 0) / of.length;
    };
    expect(meanUplift('cart')).toBeGreaterThan(meanUplift('loyal') + 0.25);
    expect(meanUplift('cart')).toBeGreaterThan(meanUplift('browser') + 0.25);
    const topThird = [...uplift.keys()].sort((a, b) => uplift[b] - uplift[a]).slice(0, rows.length / 3);
    expect(topThird.filter((i) => population.kindOf.get(set.examples[i].userId) === 'cart').length / topThird.length).toBeGreaterThan(0.9);
    expect((await registry.meta(UPLIFT_MODEL, first.version))!.params).toMatchObject({ features: FEATURE_NAMES, runs: [RUN] });

    const [, , second] = await trainFromRawLog(deps('2026-11-20T03:30:00Z'), store, {}, quiet, ledger);
    if (!('metrics' in second)) throw new Error(`skipped: ${second.skipped}`);
    expect(second.championMetrics).toEqual(second.metrics);
    expect(second.promoted).toBe(false);
    expect((await registry.current(UPLIFT_MODEL))?.version).toBe(first.version);
  }, 90_000); // two full daily trainings (the recommender's search included): seconds alone, longer beside other suites

  it('exports a graph whose scores equal the trainer’s, standardisation folded in', async () => {
    await campaignOnRecord(campaignPopulation(600, 4));
    const set = await campaignOutcomes(store, ledger, await campaignRuns(store));
    const rows = set.examples.map((e, i) => propensityFeatures(set.users[i], e.at));
    const model = fitTLearner(
      rows,
      set.examples.map((e) => e.treated),
      set.examples.map((e) => e.converted),
      10,
    );
    const served = await (await UpliftScorer.load(exportUplift(model.treated, model.control))).score(rows);
    rows.forEach((x, i) => expect(served.uplift[i]).toBeCloseTo(upliftOf(model, x), 5));
  });

  it('is skipped, naming why, while the controls have too few buyers, or with no ledger to read runs from', async () => {
    const population = campaignPopulation(300);
    population.events = population.events.filter(
      (e) => !(e.type === 'purchase' && e.event_time >= START && population.states[e.user_id!] === control),
    );
    await campaignOnRecord(population);
    const [, , uplift] = await trainFromRawLog(
      { registry: new ModelRegistry(store), logger: quiet, clock: () => START + 9 * DAY },
      store,
      {},
      quiet,
      ledger,
    );
    expect(uplift).toEqual({
      model: UPLIFT_MODEL,
      skipped: expect.stringMatching(
        new RegExp(
          '^not enough campaign outcomes yet: \\d+ of \\d+ treated and 0 of \\d+ control people bought ' +
            'within the attribution window of 1 finished runs .*\\(contact ledger: memory\\)$',
        ),
      ),
    });
    const [, , withoutLedger] = await trainFromRawLog(
      { registry: new ModelRegistry(store), logger: quiet, clock: () => START + 9 * DAY },
      store,
      {},
      quiet,
    );
    expect(withoutLedger).toEqual({ model: UPLIFT_MODEL, skipped: 'no contact ledger to read campaign runs from' });
    expect(await new ModelRegistry(store).current(UPLIFT_MODEL)).toBeUndefined();
  });
});
