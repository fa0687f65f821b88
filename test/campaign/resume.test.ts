/**
 * Runs resume by themselves: the minute timer finds a run whose worker died (not done, not
 * waiting for quiet hours, its lease run out) and drives it on from its saved progress, each
 * person once; it leaves a run alone while a worker holds it or while it is brand new, and stops
 * one still unfinished a day after it was due, with a reason in its report and a metric.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runIdOf } from '../../functions/campaign/commands';
import { activeDefinition, registerDefinition } from '../../functions/campaign/definitions/store';
import { runReport } from '../../functions/campaign/report/report';
import { runOne, type CampaignDeps } from '../../functions/campaign/runOne';
import { runDue } from '../../functions/campaign/timer';
import { MemoryContactLedger } from '#lib/contacts/memoryLedger';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { createLogger } from '#lib/log';
import { LocalMetricsSink } from '#lib/metrics/localSink';
import { MetricsRecorder } from '#lib/metrics/recorder';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { PhoneVault, ProfileBook } from '#lib/profiles';
import { MemoryProfileStore } from '#lib/profiles/memoryStore';
import { AliyunSmsSender } from '#lib/sms/aliyunSms';
import { campaignYaml } from '../fixtures/campaign';
import { sendBatchSmsAction, startAlibabaRpcFake, TEST_AK, type SendBatchSmsAction } from '../wire/alibabaRpc';
import type { HttpFake } from '../wire/httpFake';

const TEN = Date.parse('2026-11-30T10:00:00+08:00');
const RUN_ID = new Date(TEN).toISOString();
const MINUTE = 60_000;

let sms: HttpFake;
let action: SendBatchSmsAction;
let deps: CampaignDeps & { ledger: MemoryContactLedger };
let sink: LocalMetricsSink;
let dir: string;
let clock: number;
let batches: number;

beforeEach(async () => {
  action = sendBatchSmsAction();
  sms = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: action });
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-resume-'));
  clock = TEN;
  batches = 0;
  const profiles = new ProfileBook(new MemoryProfileStore(), new PhoneVault(Buffer.alloc(32, 4)));
  await profiles.upsert(
    Array.from({ length: 300 }, (_, i) => ({
      userId: `u${i}`,
      phone: `+86137${String(i).padStart(7, '0')}5`,
      consentSms: { granted: true, at: 1, source: 't' },
      tags: ['member'],
      attributes: { nickname: `客${i}` },
    })),
  );
  const sender = new AliyunSmsSender({ credentials: () => TEST_AK, signName: '示例商城', endpoint: sms.url });
  // The worker dies at its second provider batch, while `batches` says so.
  const dying = Object.assign(Object.create(sender) as AliyunSmsSender, {
    sendBatch: (...args: Parameters<AliyunSmsSender['sendBatch']>) =>
      ++batches === 2 ? Promise.reject(new Error('killed')) : sender.sendBatch(...args),
  });
  sink = new LocalMetricsSink();
  deps = {
    objects: new LocalObjectStore(dir, 'mkt-data'),
    features: new MemoryFeatureStore(() => clock),
    profiles,
    ledger: new MemoryContactLedger(),
    sms: dying,
    policy: { caps: { perDay: 5, perWeek: 10 }, quiet: { fromMin: 20 * 60, toMin: 8 * 60 }, qps: 1000, priceMilliYuan: 45 },
    clock: () => clock,
    logger: createLogger({}, () => undefined),
    metrics: new MetricsRecorder(sink),
    pageSize: 100,
  };
  // Scheduled for a day it is not due: only the timer's resumption can drive it on.
  await deps.objects.put(
    'campaigns/stall.yaml',
    Buffer.from(campaignYaml({ id: 'stall', control_share: 0, schedule: '{ at: "2026-12-31T10:00:00+08:00" }' })),
  );
  await registerDefinition(deps, 'campaigns/stall.yaml');
  await expect(runOne(deps, await activeDefinition(deps.objects, 'stall'), RUN_ID)).rejects.toThrow('killed');
});
afterEach(async () => {
  await sms.close();
  rmSync(dir, { recursive: true, force: true });
});

const sentTo = () => action.accepted.map((p) => p.replace(/^\+?86/, ''));
const report = async () =>
  runReport(deps, await activeDefinition(deps.objects, 'stall'), await runIdOf(deps.objects, 'stall', 'latest'), 45);

it('resumes a run whose worker died, once it is no longer new and nobody holds it; each person once', async () => {
  expect(await report()).toMatchObject({ finished: false, sent: 100, uncertain: 100 });
  clock = TEN + MINUTE;
  await runDue(deps, clock); // a minute old: its workers may just be starting
  expect((await report()).sent).toBe(100);

  clock = TEN + 3 * MINUTE;
  await deps.ledger.lease(`stall@${RUN_ID}`, 'another-worker', 60_000);
  await runDue(deps, clock); // a live worker holds it
  expect((await report()).sent).toBe(100);

  await deps.ledger.unlease(`stall@${RUN_ID}`, 'another-worker');
  await runDue(deps, clock);
  const done = await report();
  // The batch in flight at the death stays uncertain, never resent; everyone else was sent once.
  expect(done).toMatchObject({ finished: true, sent: 200, uncertain: 100 });
  expect(new Set(sentTo()).size).toBe(sentTo().length);
  expect(sentTo()).toHaveLength(200);
  clock = TEN + 4 * MINUTE;
  await runDue(deps, clock); // finished: left alone
  expect(sentTo()).toHaveLength(200);
});

it('stops a run still unfinished a day after it was due: done, with the reason in its report, and a metric', async () => {
  batches = 1; // every later batch dies too
  clock = TEN + 3 * MINUTE;
  await runDue(deps, clock).catch(() => undefined);
  clock = TEN + 24 * 60 * MINUTE + 2 * MINUTE;
  await runDue(deps, clock);
  expect(await report()).toMatchObject({ finished: true, stopped: 'deadline', sent: 100 });
  await deps.metrics!.flush();
  expect([...sink.totals.values()].filter((m) => m.name === 'CampaignRunsStopped').map((m) => m.value)).toEqual([1]);
});
