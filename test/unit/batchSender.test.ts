/**
 * Pacing and retries of batch sends: the pace measured through an injected clock, the retries
 * through the real SDK clients against the wire fakes, which count every number they took.
 */
import http from 'node:http';
import { AliyunSmsSender } from '#lib/sms/aliyunSms';
import { batchesOf, sendAll } from '#lib/sms/batchSender';
import type { BatchMessage, SendBatchOptions, SendOutcome, SmsBatch, SmsSender } from '#lib/sms/port';
import { TencentSmsSender } from '#lib/sms/tencentSms';
import { sendBatchSmsAction, startAlibabaRpcFake, TEST_AK } from '../wire/alibabaRpc';
import { startTencentSmsFake, TEST_TENCENT } from '../wire/tencentSms';

/** Time that moves only when someone sleeps. */
function fakeTime() {
  let t = 0;
  const sleeps: number[] = [];
  return { sleeps, clock: () => t, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)) };
}

const msg = (phone: string, outId = phone, name = '王女士'): BatchMessage => ({ phone, params: { name }, outId });
const batch = (...messages: BatchMessage[]): SmsBatch => ({ templateId: 'SMS_100001', messages });
const summary = (outcomes: SendOutcome[]) => outcomes.map((o) => [o.outId, o.status === 'sent' ? 'sent' : o.failure]);
const countOf = (numbers: string[]) => numbers.reduce((m, n) => m.set(n, (m.get(n) ?? 0) + 1), new Map<string, number>());

/** A sender that makes one provider request a batch and records when, on the given clock. */
function recordingSender(clock: () => number, maxBatch = 10): SmsSender & { requestTimes: number[]; calls: number } {
  const s = {
    describe: 'recording',
    provider: 'outbox' as const,
    maxBatch,
    requestTimes: [] as number[],
    calls: 0,
    send: async () => ({ provider: 'outbox' as const, messageId: 'x' }),
    sendBatch: async (b: SmsBatch, o: SendBatchOptions = {}) => {
      s.calls++;
      await o.beforeRequest?.();
      s.requestTimes.push(clock());
      return b.messages.map((m) => ({ outId: m.outId, status: 'sent' as const, messageId: 'x' }));
    },
  };
  return s;
}

describe('batchesOf', () => {
  it('cuts the messages, in order, into batches the sender takes', () => {
    const messages = Array.from({ length: 250 }, (_v, i) => msg(`1380000${1000 + i}`));
    const batches = batchesOf({ maxBatch: 100 }, 'SMS_1', messages);
    expect(batches.map((b) => b.messages.length)).toEqual([100, 100, 50]);
    expect(batches.flatMap((b) => b.messages)).toEqual(messages);
    expect(batches.every((b) => b.templateId === 'SMS_1')).toBe(true);
  });
});

describe('sendAll pacing', () => {
  it('makes at most qps provider requests in any second', async () => {
    const time = fakeTime();
    const sender = recordingSender(time.clock);
    const batches = Array.from({ length: 9 }, (_v, i) => batch(msg(`1380000${1000 + i}`)));
    await sendAll(sender, batches, { qps: 3, sleep: time.sleep, clock: time.clock });
    const at = sender.requestTimes;
    expect(at).toHaveLength(9);
    for (let i = 0; i + 3 < at.length; i++) expect(at[i + 3] - at[i]).toBeGreaterThanOrEqual(1000);
    expect(at[8]).toBe(8 * 334);
  });

  it('paces provider requests, not batches: a Tencent batch with three sets of params is three requests', async () => {
    const fake = await startTencentSmsFake();
    const time = fakeTime();
    const tencent = new TencentSmsSender({
      ...TEST_TENCENT,
      signName: '智能营销',
      endpoint: `sms.tencentcloudapi.com:${fake.port}`,
      protocol: 'http://',
      agent: toLocalhost,
    });
    const requestTimes: number[] = [];
    const spy: SmsSender = Object.assign(Object.create(tencent) as SmsSender, {
      sendBatch: (b: SmsBatch, o: SendBatchOptions = {}) =>
        tencent.sendBatch(b, { beforeRequest: async () => (await o.beforeRequest?.(), void requestTimes.push(time.clock())) }),
    });
    const outcomes = await sendAll(
      spy,
      [batch(msg('13812345678', 'a', '甲'), msg('13912340001', 'b', '乙'), msg('13712340002', 'c', '丙'))],
      { qps: 2, ...time },
    );
    expect(summary(outcomes)).toEqual([
      ['a', 'sent'],
      ['b', 'sent'],
      ['c', 'sent'],
    ]);
    expect(fake.sent).toHaveLength(3);
    expect(requestTimes).toEqual([0, 500, 1000]);
    await fake.close();
  });

  it('checks every batch before sending any: one too large sends nothing', async () => {
    const sender = recordingSender(Date.now, 1);
    await expect(sendAll(sender, [batch(msg('13812345678')), batch(msg('13812345678'), msg('13912340001'))], { qps: 10 })).rejects.toThrow(
      RangeError,
    );
    expect(sender.calls).toBe(0);
  });
});

describe('sendAll retries', () => {
  // qps Infinity: no pacing, so every sleep is a backoff.
  const setup = async () => {
    const action = sendBatchSmsAction();
    const fake = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: action });
    const sender = new AliyunSmsSender({ credentials: () => TEST_AK, signName: '智能营销', endpoint: fake.url, timeoutMs: 300 });
    return { action, fake, sender, time: fakeTime() };
  };

  it('resends only `retry` failures, after a backoff; permanent, defer and uncertain are final, and no number is taken twice', async () => {
    const { action, fake, sender, time } = await setup();
    action.faults.push('templateIllegal', 'timeout', 'flowControl', 'throttle');
    const batches = [
      batch(msg('13812340001'), msg('13812340002')),
      batch(msg('13812340003')),
      batch(msg('13812340004')),
      batch(msg('13812340005'), msg('13812340006')),
    ];
    const outcomes = await sendAll(sender, batches, { qps: Infinity, ...time });
    expect(summary(outcomes)).toEqual([
      ['13812340001', 'permanent'],
      ['13812340002', 'permanent'],
      ['13812340003', 'uncertain'],
      ['13812340004', 'defer'],
      ['13812340005', 'sent'],
      ['13812340006', 'sent'],
    ]);
    expect(fake.calls).toHaveLength(5);
    expect(time.sleeps).toEqual([200]);
    expect(action.accepted.sort()).toEqual(['13812340003', '13812340005', '13812340006']);
    expect(Math.max(...countOf(action.accepted).values())).toBe(1);
    await fake.close();
  });

  it('gives up after maxRetries with the last failure, doubling the backoff each time', async () => {
    const { action, fake, sender, time } = await setup();
    action.faults.push('systemError', 'systemError', 'systemError', 'systemError');
    const outcomes = await sendAll(sender, [batch(msg('13812340001'))], { qps: Infinity, ...time });
    expect(outcomes).toEqual([
      { outId: '13812340001', status: 'failed', failure: 'retry', code: 'isp.SYSTEM_ERROR', detail: 'isp.SYSTEM_ERROR' },
    ]);
    expect(fake.calls).toHaveLength(4);
    expect(time.sleeps).toEqual([200, 400, 800]);
    expect(action.accepted).toEqual([]);
    await fake.close();
  });

  it('regroups only the messages to resend: a number Tencent answered with an internal error goes again, alone', async () => {
    const fake = await startTencentSmsFake();
    const time = fakeTime();
    const sender = new TencentSmsSender({
      ...TEST_TENCENT,
      signName: '智能营销',
      endpoint: `sms.tencentcloudapi.com:${fake.port}`,
      protocol: 'http://',
      agent: toLocalhost,
    });
    fake.numberFaults.set('+8613812340002', ['InternalError.OtherError']);
    const messages = ['13812340001', '13812340002', '13812340000', '13812344444'].map((p) => msg(p));
    const outcomes = await sendAll(sender, [batch(...messages)], { qps: Infinity, maxRetries: 2, baseDelayMs: 50, ...time });
    expect(summary(outcomes)).toEqual([
      ['13812340001', 'sent'],
      ['13812340002', 'sent'],
      ['13812340000', 'defer'],
      ['13812344444', 'permanent'],
    ]);
    expect(fake.sent.map((b) => b.PhoneNumberSet)).toEqual([messages.map((m) => `+86${m.phone}`), ['+8613812340002']]);
    expect(time.sleeps).toEqual([50]);
    expect(fake.accepted).toEqual(['+8613812340001', '+8613812340002']);
    await fake.close();
  });

  it('never resends a request that got no answer: it may have gone out', async () => {
    const fake = await startTencentSmsFake();
    const sender = new TencentSmsSender({
      ...TEST_TENCENT,
      signName: 'x',
      endpoint: `sms.tencentcloudapi.com:${fake.port}`,
      protocol: 'http://',
      agent: toLocalhost,
      timeoutS: 0.3,
    });
    fake.faults.push('timeout');
    const outcomes = await sendAll(sender, [batch(msg('13812340001'), msg('13812340002'))], { qps: Infinity, ...fakeTime() });
    expect(summary(outcomes)).toEqual([
      ['13812340001', 'uncertain'],
      ['13812340002', 'uncertain'],
    ]);
    expect(fake.sent).toHaveLength(1);
    await fake.close();
  });
});

/** Sends to the fake while the SDK signs for the real host name (its first label is the service). */
const toLocalhost = new http.Agent({
  lookup: (_host, options, cb) =>
    (options as { all?: boolean }).all
      ? (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }])
      : cb(null, '127.0.0.1', 4),
});
