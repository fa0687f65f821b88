/**
 * Retrying a proven-undelivered message once, where the campaign allows it: the person whose
 * carrier reported a failure gets one more SMS at the top of the next hour, and never a third;
 * the delivered, the uncertain and the people of a campaign that does not allow it get none.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerDefinition } from '../../functions/campaign/definitions/store';
import type { CampaignDeps } from '../../functions/campaign/runOne';
import { runDue } from '../../functions/campaign/timer';
import { MemoryContactLedger } from '#lib/contacts/memoryLedger';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { PhoneVault, ProfileBook } from '#lib/profiles';
import { MemoryProfileStore } from '#lib/profiles/memoryStore';
import { AliyunSmsSender } from '#lib/sms/aliyunSms';
import { sendBatchSmsAction, startAlibabaRpcFake, TEST_AK, type SendBatchSmsAction } from '../wire/alibabaRpc';
import type { HttpFake } from '../wire/httpFake';
import { campaignYaml } from '../fixtures/campaign';

const TEN = Date.parse('2026-11-30T10:00:00+08:00');
const HOUR = 3_600_000;
const definition = (id: string, retry: boolean) =>
  campaignYaml({ id, name: id, control_share: 0, budget: '{ messages: 100 }', retry_undelivered: retry });

let sms: HttpFake;
let action: SendBatchSmsAction;
let deps: CampaignDeps;
let clock: number;

beforeEach(async () => {
  action = sendBatchSmsAction();
  sms = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: action });
  clock = TEN;
  const profiles = new ProfileBook(new MemoryProfileStore(), new PhoneVault(Buffer.alloc(32, 4)));
  await profiles.upsert(
    ['u0', 'u1', 'u2', 'u3'].map((userId, i) => ({
      userId,
      phone: `+86137000000${i}5`,
      consentSms: { granted: true, at: 1, source: 't' },
      tags: ['member'],
      attributes: { nickname: `客${i}` },
    })),
  );
  deps = {
    objects: new LocalObjectStore(mkdtempSync(path.join(os.tmpdir(), 'retry-')), 'mkt-data'),
    features: new MemoryFeatureStore(() => clock),
    profiles,
    ledger: new MemoryContactLedger(),
    sms: new AliyunSmsSender({ credentials: () => TEST_AK, signName: '示例商城', endpoint: sms.url }),
    policy: { caps: { perDay: 5, perWeek: 10 }, quiet: { fromMin: 20 * 60, toMin: 8 * 60 }, qps: 1000, priceMilliYuan: 45 },
    clock: () => clock,
    logger: createLogger({}, () => undefined),
  };
});
afterEach(() => sms.close());

async function schedule(id: string, retry: boolean) {
  await deps.objects.put(`campaigns/${id}.yaml`, Buffer.from(definition(id, retry)));
  await registerDefinition(deps, `campaigns/${id}.yaml`);
}

const receipt = (outcome: 'delivered' | 'undelivered', code: string) => ({
  outcome,
  code,
  at: TEN + 60_000,
  provider: 'aliyun',
  via: 'receipt' as const,
});
const sentTo = (phone: string) => action.accepted.filter((p) => p.endsWith(phone)).length;

it('sends once more to a person proven undelivered, at the top of the hour, and never a third time', async () => {
  await schedule('again', true);
  await runDue(deps, TEN);
  const run = 'again@2026-11-30T02:00:00.000Z';
  expect(action.accepted).toHaveLength(4);
  await deps.ledger.recordDeliveries(run, [
    ['u0', receipt('undelivered', 'MK:0001')],
    ['u1', receipt('delivered', 'DELIVERED')],
  ]);
  // u2's send is uncertain: claimed, no outcome (the batch timed out).
  await deps.ledger.settle(run, new Map([['u2', { status: 'claimed', at: TEN }]]));

  clock = TEN + 30 * 60_000;
  await runDue(deps, clock); // not the top of an hour
  expect(action.accepted).toHaveLength(4);
  for (const hour of [1, 2]) {
    clock = TEN + hour * HOUR;
    await runDue(deps, clock);
  }
  expect(action.accepted).toHaveLength(5);
  expect(sentTo('13700000005')).toBe(2);
  expect((await deps.ledger.people(`${run}~retry`)).get('u0')).toMatchObject({ status: 'sent' });
  expect(await deps.ledger.spent(run)).toEqual({ messages: 5, milliYuan: 5 * 45 });
});

it('retries no undelivered message for a campaign that does not allow it', async () => {
  await schedule('once', false);
  await runDue(deps, TEN);
  await deps.ledger.recordDeliveries('once@2026-11-30T02:00:00.000Z', [['u0', receipt('undelivered', 'MK:0001')]]);
  clock = TEN + HOUR;
  await runDue(deps, clock);
  expect(action.accepted).toHaveLength(4);
});

it(
  'sends once, whatever the campaign allows, to a person whose uncertain send ' +
    'the provider never received; never to one whose send may have gone out',
  async () => {
    await schedule('lost', false);
    // The first batch gets no answer (the provider took only u0 and u1 of it: the connection dropped).
    action.faults.push('timeout');
    await runDue(deps, TEN);
    const run = 'lost@2026-11-30T02:00:00.000Z';
    expect(Object.fromEntries([...(await deps.ledger.people(run))].map(([id, s]) => [id, s.status]))).toEqual({
      u0: 'failed',
      u1: 'failed',
      u2: 'failed',
      u3: 'failed',
    });
    // Reconciliation (sms-feedback) asked the provider: it has u0's message, none of u1's; u2, u3 not asked yet.
    await deps.ledger.recordDeliveries(run, [
      ['u0', receipt('delivered', 'DELIVERED')],
      ['u1', { outcome: 'undelivered', code: 'not_sent', at: TEN + 31 * 60_000, provider: 'aliyun', via: 'no_record' }],
    ]);
    action.accepted.length = 0;
    for (const hour of [1, 2]) {
      clock = TEN + hour * HOUR;
      await runDue(deps, clock);
    }
    expect(action.accepted.map((p) => p.replace(/^\+?86/, ''))).toEqual(['13700000015']);
    expect((await deps.ledger.people(`${run}~retry`)).get('u1')).toMatchObject({ status: 'sent' });
  },
);
