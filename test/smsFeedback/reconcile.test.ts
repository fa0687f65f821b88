/**
 * Uncertain sends settled: a campaign run whose batch timed out (the provider took it and never
 * answered) and whose process died with a batch claimed (never sent), through the real SDK
 * clients against wire fakes that check signatures. Receipts pushed to the callback settle what
 * they name; after the window, the reconciliation timer asks the provider about the rest (Alibaba
 * QuerySendDetails, Tencent PullSmsSendStatusByPhoneNumber); nothing is ever sent twice.
 */
import { runCampaign, type RunDeps } from '../../functions/campaign/runCampaign';
import type { Select } from '../../functions/campaign/selection';
import type { ReconcileSummary } from '../../functions/smsFeedback/reconcile';
import { settlementOf, type Settlement } from '#lib/contacts';
import { createLogger } from '#lib/log';
import { AliyunDeliveryLookup } from '#lib/sms/aliyunFeedback';
import { AliyunSmsSender } from '#lib/sms/aliyunSms';
import type { SmsSender } from '#lib/sms/port';
import { TencentDeliveryLookup } from '#lib/sms/tencentFeedback';
import { TencentSmsSender } from '#lib/sms/tencentSms';
import {
  querySendDetailsAction,
  sendBatchSmsAction,
  startAlibabaRpcFake,
  TEST_AK,
  type AliyunSentRecord,
  type SendBatchSmsAction,
} from '../wire/alibabaRpc';
import { startTencentSmsFake, TEST_TENCENT, type TencentSmsFake } from '../wire/tencentSms';
import { feedback, fixture, phoneOf, toLocalhost, type Feedback } from './harness';
import { testCampaign } from '../fixtures/campaign';

/** Now, so the fakes' day and 7-day windows hold; the run never meets quiet hours (none set). */
const T0 = Date.now();
const MIN = 60_000;
const everyone: Select = async (profiles) => profiles;

const campaign = (id: string) => testCampaign({ id, control_share: 0, budget: '{ messages: 10000 }' });

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `u${from + i}`);
/** Whose number a fake took (phoneOf's inverse): profiles are read in no particular order, so batches are not in user order. */
const userOf = (phone: string) => `u${Number(phone.replace(/^\+86/, '').slice(4, 10))}`;

/** A sender whose n-th batch (from 1) times out at the provider or dies before any request. */
function scripted(sms: SmsSender, script: Record<number, 'timeout' | 'die'>, timeOut: () => void): SmsSender {
  let n = 0;
  return {
    describe: sms.describe,
    provider: sms.provider,
    maxBatch: sms.maxBatch,
    send: (m) => sms.send(m),
    sendBatch: (batch, options) => {
      const fate = script[++n];
      if (fate === 'die') return Promise.reject(new Error('killed'));
      if (fate === 'timeout') timeOut();
      return sms.sendBatch(batch, options);
    },
  };
}

async function runDeps(h: Feedback, sms: SmsSender, people: number): Promise<RunDeps> {
  await h.profiles.upsert(
    ids(0, people).map((userId, i) => ({
      userId,
      phone: `+86${phoneOf(i)}`,
      consentSms: { granted: true, at: 1, source: 'test' },
      tags: ['member'],
      attributes: { nickname: '客' },
    })),
  );
  return {
    profiles: h.profiles,
    ledger: h.ledger,
    sms,
    policy: { caps: { perDay: 5, perWeek: 10 }, quiet: { fromMin: 0, toMin: 0 }, qps: 1000, priceMilliYuan: 45 },
    clock: () => T0,
    logger: createLogger({}, () => undefined),
    pageSize: 100,
  };
}

async function settlementsOf(h: Feedback, run: string, people: string[]): Promise<Record<string, Settlement>> {
  const [states, deliveries] = await Promise.all([h.ledger.statesOf(run, people), h.ledger.deliveriesOf(run, people)]);
  return Object.fromEntries(people.map((id, i) => [id, settlementOf(states[i], deliveries[i])]));
}

const counts = (settled: Record<string, Settlement>) => {
  const n: Record<string, number> = {};
  for (const s of Object.values(settled)) n[s] = (n[s] ?? 0) + 1;
  return n;
};
const reconcileAt = async (h: Feedback, nowMs: number) =>
  (await h.invoke(
    Buffer.from(JSON.stringify({ triggerTime: new Date(nowMs).toISOString(), triggerName: 'reconcile', payload: '{"job":"reconcile"}' })),
    nowMs,
  )) as ReconcileSummary;

it('skips reconciliation where there is no provider to ask (the local outbox), and refuses events it does not take', async () => {
  const h = feedback({ clock: () => T0 });
  try {
    await h.ledger.claim('outbox@t', ['u0'], T0);
    expect(await reconcileAt(h, T0 + 31 * MIN)).toMatchObject({ skipped: 'no_provider', runs: 0 });
    expect(await h.invoke(Buffer.from(JSON.stringify({ job: 'reconcile' })), T0 + 31 * MIN)).toMatchObject({ skipped: 'no_provider' });
    await expect(h.invoke(Buffer.from(JSON.stringify({ job: 'something-else' })))).rejects.toMatchObject({
      status: 400,
      code: 'bad_event',
    });
  } finally {
    await h.teardown();
  }
});

describe('Alibaba: a batch that timed out and a batch claimed when the process died', () => {
  let h: Feedback;
  let action: SendBatchSmsAction;
  let fake: Awaited<ReturnType<typeof startAlibabaRpcFake>>;
  const RUN = 'reconcile-a@t';
  const queries = () => fake.calls.filter((c) => c.Action === 'QuerySendDetails').length;
  const report = (r: AliyunSentRecord, over: Record<string, unknown> = {}) => ({
    ...fixture<Record<string, unknown>[]>('aliyun-sms-report.json')[0],
    phone_number: r.phone,
    out_id: r.outId,
    biz_id: r.bizId,
    ...over,
  });

  beforeEach(async () => {
    action = sendBatchSmsAction();
    fake = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: action, QuerySendDetails: querySendDetailsAction(action) });
    h = feedback({ lookup: new AliyunDeliveryLookup({ credentials: () => TEST_AK, endpoint: fake.url }), clock: () => T0 });
  });
  afterEach(async () => {
    await fake.close();
    await h.teardown();
  });

  it('settles them by receipt and by QuerySendDetails after the window, exposes what may be retried, and never sends twice', async () => {
    const sender = new AliyunSmsSender({ credentials: () => TEST_AK, signName: '示例商城', endpoint: fake.url, timeoutMs: 300 });
    const deps = await runDeps(
      h,
      scripted(sender, { 2: 'timeout', 3: 'die' }, () => action.faults.push('timeout')),
      300,
    );
    await expect(runCampaign(deps, campaign('reconcile-a'), 't', everyone)).rejects.toThrow('killed');
    await runCampaign({ ...deps, sms: sender }, campaign('reconcile-a'), 't', everyone);
    const everyoneIds = ids(0, 300);
    expect(counts(await settlementsOf(h, RUN, everyoneIds))).toEqual({ accepted: 100, uncertain: 200 });
    expect(action.accepted).toHaveLength(200); // the timed-out batch went out; the claimed one never did

    // Receipts: the first batch, and half of the batch that timed out (one of them failed).
    const batch2 = action.records.slice(100, 200);
    const pushed = [
      ...action.records.slice(0, 100).map((r) => report(r)),
      ...batch2.slice(0, 50).map((r, i) => report(r, i === 0 ? { success: false, err_code: 'MK:0001' } : {})),
    ];
    expect((await h.post('/sms/aliyun/report', pushed)).statusCode).toBe(200);

    // Too soon: receipts may still come.
    expect(await reconcileAt(h, T0 + 5 * MIN)).toMatchObject({ runs: 0, uncertain: 0 });
    expect(queries()).toBe(0);

    // After the window: the provider delivered some of the rest, still waits on others, and never had the claimed batch.
    batch2.slice(50, 75).forEach((r) => Object.assign(r, { status: 3, errCode: 'DELIVERED', receivedAt: Date.now() }));
    expect(await reconcileAt(h, T0 + 31 * MIN)).toEqual({ runs: 1, uncertain: 150, delivered: 25, undelivered: 100, open: 25 });
    const settled = await settlementsOf(h, RUN, everyoneIds);
    expect(counts(settled)).toEqual({ delivered: 174, undelivered: 101, uncertain: 25 });
    const sent = new Set(action.records.map((r) => userOf(r.phone)));
    const neverSent = everyoneIds.filter((id) => !sent.has(id));
    expect(neverSent).toHaveLength(100);
    expect(neverSent.every((id) => settled[id] === 'undelivered')).toBe(true);
    expect(await h.ledger.deliveriesOf(RUN, [neverSent[0]])).toEqual([
      { outcome: 'undelivered', code: 'not_sent', at: T0 + 31 * MIN, provider: 'aliyun', via: 'no_record' },
    ]);
    expect(await h.ledger.deliveriesOf(RUN, [userOf(batch2[60].phone)])).toEqual([
      expect.objectContaining({ outcome: 'delivered', code: 'DELIVERED', via: 'query' }),
    ]);

    // The carrier answers for the last ones; the run is settled, and passed by from then on.
    batch2.slice(75).forEach((r) => Object.assign(r, { status: 2, errCode: 'UNDELIV', receivedAt: Date.now() }));
    expect(await reconcileAt(h, T0 + 41 * MIN)).toMatchObject({ runs: 1, uncertain: 25, undelivered: 25, open: 0 });
    const asked = queries();
    expect(await reconcileAt(h, T0 + 51 * MIN)).toMatchObject({ runs: 0 });
    expect(queries()).toBe(asked);
    expect(counts(await settlementsOf(h, RUN, everyoneIds))).toEqual({ delivered: 174, undelivered: 126 });

    // A replayed run sends nobody again: the uncertain were never resent before they were settled, nor after.
    await runCampaign({ ...deps, sms: sender }, campaign('reconcile-a'), 't', everyone);
    expect(action.accepted).toHaveLength(200);
    expect(new Set(action.accepted).size).toBe(200);
  });
});

describe('Tencent: a request that timed out', () => {
  let h: Feedback;
  let tencent: TencentSmsFake;
  const RUN = 'reconcile-t@t';
  const options = () => ({
    ...TEST_TENCENT,
    endpoint: `sms.tencentcloudapi.com:${tencent.port}`,
    protocol: 'http://' as const,
    agent: toLocalhost,
  });
  const report = (phone: string, sid: string) => ({
    ...fixture<Record<string, unknown>[]>('tencent-status-callback.json')[0],
    mobile: phone.replace(/^\+86/, ''),
    sid,
    user_receive_time: new Date(Date.now() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19),
  });

  beforeEach(async () => {
    tencent = await startTencentSmsFake();
    h = feedback({ lookup: new TencentDeliveryLookup(options()), clock: () => T0 });
  });
  afterEach(async () => {
    await tencent.close();
    await h.teardown();
  });

  it(
    'settles it by the status callback (sid never told us) and by ' +
      'PullSmsSendStatusByPhoneNumber; silence proves nothing before 72 hours',
    async () => {
      const sender = new TencentSmsSender({ ...options(), signName: '示例商城', timeoutS: 0.3 });
      const deps = await runDeps(
        h,
        scripted(sender, { 2: 'timeout' }, () => tencent.faults.push('timeout')),
        150,
      );
      await runCampaign(deps, campaign('reconcile-t'), 't', everyone);
      const all = ids(0, 150);
      expect(counts(await settlementsOf(h, RUN, all))).toEqual({ accepted: 100, uncertain: 50 });

      // Callbacks: the first batch by its sids, and ten of the timed-out request (their sids never reached us).
      const timedOut = tencent.records.slice(100);
      const pushed = [...tencent.records.slice(0, 100), ...timedOut.slice(0, 10)].map((r) => report(r.phone, r.serialNo));
      expect(JSON.parse((await h.post('/sms/tencent/report', pushed)).body)).toEqual({ result: 0, errmsg: 'OK' });
      expect(counts(await settlementsOf(h, RUN, all))).toEqual({ delivered: 110, uncertain: 40 });

      // The carrier reported on twenty more (Tencent lists only those); the other twenty it has said nothing of yet.
      timedOut.slice(10, 30).forEach((r) => (r.report = { status: 'SUCCESS', description: '用户短信送达成功', receivedAt: Date.now() }));
      expect(await reconcileAt(h, T0 + 31 * MIN)).toEqual({ runs: 1, uncertain: 40, delivered: 20, undelivered: 0, open: 20 });
      expect(await h.ledger.deliveriesOf(RUN, [userOf(timedOut[10].phone)])).toEqual([
        expect.objectContaining({ outcome: 'delivered', provider: 'tencent', messageId: timedOut[10].serialNo, via: 'query' }),
      ]);

      // 72 hours on, silence is an answer: not delivered, and so may be retried once.
      expect(await reconcileAt(h, T0 + 73 * 60 * MIN)).toMatchObject({ runs: 1, uncertain: 20, undelivered: 20, open: 0 });
      expect(counts(await settlementsOf(h, RUN, all))).toEqual({ delivered: 130, undelivered: 20 });
      expect(await h.ledger.deliveriesOf(RUN, [userOf(timedOut[49].phone)])).toEqual([
        expect.objectContaining({ outcome: 'undelivered', code: 'no_record', via: 'no_record' }),
      ]);

      await runCampaign({ ...deps, sms: sender }, campaign('reconcile-t'), 't', everyone);
      expect(tencent.accepted).toHaveLength(150);
      expect(new Set(tencent.accepted).size).toBe(150);
    },
  );
});
