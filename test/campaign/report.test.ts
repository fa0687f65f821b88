/** The marketer's view of a run: the dry-run plan, and the report of treated vs control with the lift and its interval. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runIdOf } from '../../functions/campaign/commands';
import { planCampaign } from '../../functions/campaign/plan';
import { liftOf, runReport } from '../../functions/campaign/report/report';
import { reportPage } from '../../functions/campaign/report/page';
import { runCampaign } from '../../functions/campaign/runCampaign';
import type { Select } from '../../functions/campaign/selection';
import type { RawEvent } from '#lib/events/contract';
import { MemoryContactLedger } from '#lib/contacts/memoryLedger';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { PhoneVault, ProfileBook } from '#lib/profiles';
import { MemoryProfileStore } from '#lib/profiles/memoryStore';
import { encodeRawObject, rawPartition } from '#lib/events/rawLog';
import { OutboxSmsSender } from '#lib/sms/outboxSms';
import { chunkProgressKey } from '#lib/contacts';
import { recordCampaignRun } from '#models/datasets/campaignRuns';
import { testCampaign } from '../fixtures/campaign';

const RUN = '2026-11-30T02:00:00.000Z'; // 10:00 in Shanghai
const everyone: Select = async (p) => p;
const d = testCampaign({
  id: 'lift',
  name: 'lift',
  control_share: 0.3,
  variants:
    '[ { id: a, template_text: "${name}您好<b>。拒收请回复R", item_strategy: none }, ' +
    '{ id: b, template_text: "${name}，会员日。拒收请回复R", item_strategy: none } ]',
  budget: '{ messages: 100000 }',
});

const emptyReport = {
  campaign: 'lift',
  run: 'lift@r',
  startedAt: 'r',
  finished: true,
  attributionDays: 7,
  audience: 0,
  control: 0,
  sent: 0,
  uncertain: 0,
  deferred: 0,
  failed: {},
  suppressed: {},
  segments: 0,
  costYuan: 0,
  delivery: { delivered: 0, undelivered: {}, awaitingReceipt: 0, deliveryRate: 0, optedOut: 0, actualCostYuan: 0 },
  variants: [],
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-report-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function world(n: number) {
  const profiles = new ProfileBook(new MemoryProfileStore(), new PhoneVault(Buffer.alloc(32, 2)));
  await profiles.upsert(
    Array.from({ length: n }, (_, i) => ({
      userId: `u${i}`,
      phone: `+86137${String(i).padStart(7, '0')}5`,
      consentSms: { granted: i % 10 !== 0, at: 1, source: 't' },
      tags: ['member'],
      attributes: i % 25 === 1 ? ({} as Record<string, string>) : { nickname: `客${i}` },
    })),
  );
  return { profiles, ledger: new MemoryContactLedger(), objects: new LocalObjectStore(dir, 'mkt-data') };
}

describe('campaign plan and report', () => {
  it('reports what the carriers and the people said: delivered, undelivered by code, awaiting, opted out, cost as billed', async () => {
    const w = await world(100);
    const sms = new OutboxSmsSender(path.join(dir, 'outbox.jsonl'));
    const policy = { caps: { perDay: 5, perWeek: 10 }, quiet: { fromMin: 20 * 60, toMin: 8 * 60 }, qps: 1000, priceMilliYuan: 45 };
    await runCampaign(
      { profiles: w.profiles, ledger: w.ledger, sms, policy, clock: () => Date.parse(RUN), logger: createLogger({}, () => undefined) },
      d,
      RUN,
      everyone,
    );
    const run = `lift@${RUN}`;
    const sent = [...(await w.ledger.people(run))].filter(([, s]) => s.status === 'sent').map(([id]) => id);
    const at = Date.parse(RUN) + 60_000;
    const receipt = (outcome: 'delivered' | 'undelivered', code: string, segments?: number) => ({
      outcome,
      code,
      at,
      provider: 'aliyun',
      via: 'receipt' as const,
      segments,
    });
    await w.ledger.recordDeliveries(run, [
      [sent[0], receipt('delivered', 'DELIVERED', 3)],
      [sent[1], receipt('delivered', 'DELIVERED')],
      [sent[2], receipt('undelivered', 'MK:0001')],
    ]);
    const [p] = await w.profiles.store.get([sent[0]]);
    await w.profiles.withdrawSmsConsent(w.profiles.phoneOf(p!)!, {
      at: at + 1000,
      source: 'reply:R',
      evidence: { provider: 'aliyun', text: 'R', receivedAt: at + 1000 },
    });

    const report = await runReport(w, d, RUN, 45);
    expect(report.delivery).toMatchObject({ delivered: 2, undelivered: { 'MK:0001': 1 }, awaitingReceipt: sent.length - 3, optedOut: 1 });
    expect(report.delivery.deliveryRate).toBeCloseTo(2 / sent.length, 10);
    // The receipt billed sent[0] three segments where the run counted one.
    expect(report.delivery.actualCostYuan).toBeCloseTo(report.costYuan + 2 * 0.045, 6);
    expect(reportPage(report)).toContain('undelivered: MK:0001');
  });

  it('says a run is finished only once it, or every chunk it fanned out to, has decided its last page', async () => {
    const w = await world(10);
    const run = `lift@${RUN}`;
    expect((await runReport(w, d, RUN, 45)).finished).toBe(false);
    await w.ledger.saveProgress(run, { done: false, chunks: 2 });
    await w.ledger.saveProgress(chunkProgressKey(run, 0), { done: true });
    expect((await runReport(w, d, RUN, 45)).finished).toBe(false);
    expect(reportPage(await runReport(w, d, RUN, 45))).toContain('still running');
    await w.ledger.saveProgress(chunkProgressKey(run, 1), { done: true });
    expect((await runReport(w, d, RUN, 45)).finished).toBe(true);
  });

  it('finds a run by the minute it ran as, in any ISO form, or the latest; an unknown run is an error', async () => {
    const objects = new LocalObjectStore(dir, 'mkt-data');
    for (const runId of ['2026-12-07T02:00:00.000Z', '2026-12-08T02:21:00.000Z'])
      await recordCampaignRun(objects, { campaign: 'lift', runId, attributionDays: 7 });
    await recordCampaignRun(objects, { campaign: 'other', runId: '2026-12-09T02:00:00.000Z', attributionDays: 7 });
    for (const named of ['2026-12-08T10:21:00+08:00', '2026-12-08T02:21:00Z', '2026-12-08T02:21:00.000Z', 'latest'])
      expect([named, await runIdOf(objects, 'lift', named)]).toEqual([named, '2026-12-08T02:21:00.000Z']);
    await expect(runIdOf(objects, 'lift', '2026-12-08T10:22:00+08:00')).rejects.toMatchObject({ status: 404, code: 'no_such_run' });
    await expect(runIdOf(objects, 'lift', 'yesterday')).rejects.toMatchObject({ status: 400, code: 'bad_command' });
    await expect(runIdOf(objects, 'never-ran', 'latest')).rejects.toMatchObject({ status: 404, code: 'no_such_run' });
  });

  it('gives no interval where every person in each group did the same, and says so', () => {
    expect(liftOf(500, 0, 200, 0)).toEqual({ lift: 0 });
    expect(liftOf(10, 10, 10, 0)).toEqual({ lift: 1 });
    const page = reportPage({
      ...emptyReport,
      variants: [{ variant: 'a', treated: 500, treatedConverted: 0, control: 200, controlConverted: 0, lift: 0 }],
    });
    expect(page).toContain('no interval yet');
    expect(page).not.toContain('95%: 0.0 to 0.0');
  });

  it('computes the lift and its 95% interval from two proportions', () => {
    const { lift, lift95 } = liftOf(1000, 120, 1000, 100);
    expect(lift).toBeCloseTo(0.02, 10);
    expect(lift95![0]).toBeCloseTo(0.02 - 1.96 * Math.sqrt((0.12 * 0.88) / 1000 + (0.1 * 0.9) / 1000), 10);
    expect(liftOf(0, 0, 10, 1)).toEqual({});
  });

  it('plans without claiming or sending: audience, control, suppressed by reason, messages, segments, cost', async () => {
    const w = await world(200);
    const plan = await planCampaign(
      { profiles: w.profiles, ledger: w.ledger, clock: () => Date.parse(RUN) },
      { ...d, budget: { messages: 50 } },
      everyone,
      45,
    );
    expect(plan.audience).toBe(200);
    expect(plan.suppressed.no_consent).toBe(20);
    expect(plan.suppressed.missing_name).toBeGreaterThan(0);
    expect(plan.messages).toBe(50);
    expect(plan.audience).toBe(plan.control + plan.messages + Object.values(plan.suppressed).reduce((a, b) => a + b, 0));
    expect(plan.costYuan).toBeCloseTo(plan.segments * 0.045, 6);
    expect((await w.ledger.people('lift@plan')).size).toBe(0);
  });

  it('reports a run: counts, cost, and per variant treated vs control conversion from purchases within the window', async () => {
    const w = await world(400);
    const sms = new OutboxSmsSender(path.join(dir, 'outbox.jsonl'));
    const policy = { caps: { perDay: 5, perWeek: 10 }, quiet: { fromMin: 20 * 60, toMin: 8 * 60 }, qps: 1000, priceMilliYuan: 45 };
    await runCampaign(
      { profiles: w.profiles, ledger: w.ledger, sms, policy, clock: () => Date.parse(RUN), logger: createLogger({}, () => undefined) },
      d,
      RUN,
      everyone,
    );
    const people = await w.ledger.people(`lift@${RUN}`);
    // Every treated person of variant a buys; nobody in control does; one purchase comes after the window.
    const buyers = [...people].filter(([, s]) => s.status === 'sent' && s.variant === 'a').map(([id]) => id);
    const at = Date.parse(RUN) + 3600_000;
    const purchase = (user_id: string, t: number): RawEvent => ({
      app_id: 'demo',
      event_id: `p-${user_id}-${t}`,
      type: 'purchase',
      user_id,
      ts: t,
      event_time: t,
      received_at: t,
      client_ip: '',
    });
    await w.objects.put(
      `${rawPartition(at)}x.jsonl.gz`,
      encodeRawObject([...buyers.map((u) => purchase(u, at)), purchase('u2', at + 30 * 86_400_000)]),
    );
    const report = await runReport(w, d, RUN, 45);
    expect(report.finished).toBe(true);
    expect(report.audience).toBe(400);
    expect(report.sent + report.control + Object.values(report.suppressed).reduce((a, b) => a + b, 0)).toBe(400);
    expect(report.costYuan).toBeCloseTo(report.segments * 0.045, 6);
    const a = report.variants.find((v) => v.variant === 'a')!;
    expect(a).toMatchObject({ treatedConverted: a.treated, controlConverted: 0, lift: 1 });
    expect(report.variants.find((v) => v.variant === 'b')!.treatedConverted).toBe(0);
    expect(report.delivery).toEqual({
      delivered: 0,
      undelivered: {},
      awaitingReceipt: report.sent,
      deliveryRate: 0,
      optedOut: 0,
      actualCostYuan: report.costYuan,
    });
    const html = reportPage(report);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).not.toContain('<b>');
  });
});
