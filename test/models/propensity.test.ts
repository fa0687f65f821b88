/** The propensity model: its dataset from the raw log, the ONNX export, training, registration and promotion. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trainFromRawLog } from '../../functions/train/runTraining';
import { conversionsFromRawLog } from '#models/datasets/conversions';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { seededRandom } from '#lib/random';
import type { RawEvent } from '#lib/events/contract';
import { FEATURE_NAMES, propensityFeatures } from '#models/propensity/features';
import { exportPropensity, PropensityScorer } from '#models/propensity/serving';
import { ModelRegistry } from '#models/registry';
import { predictLogistic } from '#models/shared/logistic';
import { putRawLog as putRawLogIn, rawEvent } from '../fixtures/rawLog';

const quiet = createLogger({}, () => undefined);
const DAY = 24 * 3600_000;
const END = Date.parse('2026-11-21T12:00:00+08:00');
let dir: string;
let store: LocalObjectStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-propensity-'));
  store = new LocalObjectStore(dir, 'mkt-data');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ev = rawEvent;
const putRawLog = (events: RawEvent[]) => putRawLogIn(store, events);

/** Users whose carts in the week before the cutoff predict a purchase after it. */
function shopperLog(users = 400, seed = 3): RawEvent[] {
  const rand = seededRandom(seed);
  const cutoff = END - 7 * DAY;
  const events: RawEvent[] = [];
  for (let u = 0; u < users; u++) {
    const keen = rand() < 0.4;
    const user = `u${u}`;
    for (let i = 0; i < 3 + Math.floor(rand() * 6); i++) events.push(ev(user, 'page_view', cutoff - Math.floor(rand() * 25 * DAY)));
    if (keen)
      for (let i = 0; i < 1 + Math.floor(rand() * 3); i++) events.push(ev(user, 'add_to_cart', cutoff - Math.floor(rand() * 6 * DAY)));
    if (rand() < (keen ? 0.6 : 0.08)) events.push(ev(user, 'purchase', cutoff + Math.floor(rand() * 6 * DAY), { price: 30, quantity: 1 }));
  }
  events.push(ev('late', 'click', END)); // the log's last event fixes the cutoff at END − 7 days
  return events;
}

describe('conversions dataset', () => {
  it('labels purchases within the horizon after the cutoff, with features as the feature store sees the user at the cutoff', async () => {
    const cutoff = END - 7 * DAY;
    await putRawLog([
      ev('buyer', 'add_to_cart', cutoff - 2 * DAY),
      ev('buyer', 'add_to_cart', cutoff - 2 * DAY),
      ev('buyer', 'purchase', cutoff + DAY, { price: 10, quantity: 2 }),
      ev('browser', 'page_view', cutoff - 10 * DAY),
      ev('dormant', 'page_view', cutoff - 40 * DAY),
      ev('newcomer', 'purchase', cutoff + 2 * DAY, { price: 5 }),
      ev('late', 'click', END),
    ]);
    const set = await conversionsFromRawLog(store, 7);
    expect(set.cutoff).toBe(cutoff);
    expect(set.userIds).toEqual(['browser', 'buyer']); // active in the 30 days before the cutoff
    expect([...set.labels]).toEqual([0, 1]);
    const buyer = set.users[1];
    expect(buyer.counts.add_to_cart).toEqual({ d1: 0, d7: 2, d30: 2 });
    expect(buyer.spend).toBe(0); // the purchase came after the cutoff
    const x = propensityFeatures(buyer, set.cutoff);
    expect(x).toHaveLength(FEATURE_NAMES.length);
    expect(x[FEATURE_NAMES.indexOf('log_add_to_cart_d7')]).toBeCloseTo(Math.log1p(2), 9);
    expect(x[FEATURE_NAMES.indexOf('log_days_since_active')]).toBeCloseTo(Math.log1p(2), 9);
  });
});

describe('propensity model', () => {
  it('exports a graph whose scores equal the fitted logistic on standardised features', async () => {
    const model = { weights: Float64Array.from([0.5, -1.25, 2]), bias: -0.3 };
    const scale = { mean: Float64Array.from([1, 2, 0]), std: Float64Array.from([2, 0.5, 1]) };
    const rows = [Float64Array.from([0, 0, 0]), Float64Array.from([3, 1, -1]), Float64Array.from([1, 2, 0.5])];
    const served = await (await PropensityScorer.load(exportPropensity(model, scale))).score(rows);
    rows.forEach((r, i) =>
      expect(served[i]).toBeCloseTo(
        predictLogistic(
          model,
          r.map((v, j) => (v - scale.mean[j]) / scale.std[j]),
        ),
        6,
      ),
    );
  });

  it('trains from the raw log, registers and promotes; a retrain on the same data keeps the champion', async () => {
    await putRawLog(shopperLog());
    const registry = new ModelRegistry(store);
    const deps = (at: string) => ({ registry, logger: quiet, clock: () => Date.parse(at) });
    const [, first] = await trainFromRawLog(deps('2026-11-21T03:30:00Z'), store, {}, quiet);
    expect(first).toMatchObject({ model: 'propensity', promoted: true });
    if (!('metrics' in first)) throw new Error('skipped');
    expect(first.metrics.auc).toBeGreaterThan(0.75); // carts predict purchases; chance is 0.5
    const meta = (await registry.meta('propensity', first.version))!;
    expect(meta.params.features).toEqual(FEATURE_NAMES);
    expect(meta.dataWindow.to).toBe(new Date(END - 7 * DAY).toISOString());

    const [, second] = await trainFromRawLog(deps('2026-11-22T03:30:00Z'), store, {}, quiet);
    if (!('metrics' in second)) throw new Error('skipped');
    expect(second.championMetrics).toEqual(second.metrics);
    expect(second.promoted).toBe(false);
    expect((await registry.current('propensity'))?.version).toBe(first.version);
  });

  it('is skipped, naming why, while too few users have bought', async () => {
    await putRawLog(shopperLog(30).filter((e) => e.type !== 'purchase'));
    const [, propensity] = await trainFromRawLog({ registry: new ModelRegistry(store), logger: quiet, clock: () => END }, store, {}, quiet);
    expect(propensity).toEqual({
      model: 'propensity',
      skipped: expect.stringMatching(/not enough conversions yet: 0 of \d+ active users/),
    });
  });
});
