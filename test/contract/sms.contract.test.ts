/**
 * One contract, every SMS adapter: the outbox file, Alibaba SMS (real pop-core client)
 * and Tencent SMS (real tencentcloud-sdk-nodejs client), the clouds faked on the wire.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { AliyunSmsSender } from '#lib/sms/aliyunSms';
import { OutboxSmsSender } from '#lib/sms/outboxSms';
import { alibabaRpcClient } from '#lib/cloud/alibabaRpc';
import { maskPhones } from '#lib/log';
import { SmsError, type BatchMessage, type SendOutcome, type SmsFailure, type SmsSender } from '#lib/sms/port';
import { TencentSmsSender } from '#lib/sms/tencentSms';
import { sendBatchSmsAction, sendSmsAction, startAlibabaRpcFake, TEST_AK, type BatchSmsFault } from '../wire/alibabaRpc';
import { startTencentSmsFake, TEST_TENCENT } from '../wire/tencentSms';

interface Harness {
  sender: SmsSender;
  /** What reached the provider (or the outbox), as [phone, template, params, outId]. */
  delivered(): Array<[string, string, unknown, string]>;
  /** What reached the provider from batches, as [phone as it saw it, params]. */
  batchDelivered(): Array<[string, unknown]>;
  /** Provider requests made, where there is a provider. */
  requests?(): number;
  /** A number this provider refuses, and whether its one answer covers the whole request (Alibaba's does). */
  refusal?: { phone: string; failure: SmsFailure; code: string; wholeRequest: boolean };
  teardown(): Promise<void>;
}

const lines = (file: string) => {
  try {
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
};

const adapters: Record<string, () => Promise<Harness>> = {
  outbox: async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-sms-'));
    const file = path.join(dir, 'outbox.jsonl');
    return {
      sender: new OutboxSmsSender(file),
      delivered: () => lines(file).map((m) => [m.phone, m.templateId, m.params, m.outId]),
      batchDelivered: () => lines(file).map((m) => [m.phone, m.params]),
      teardown: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  aliyun: async () => {
    const fake = await startAlibabaRpcFake('2017-05-25', { SendSms: sendSmsAction, SendBatchSms: sendBatchSmsAction() });
    const batchCalls = () => fake.calls.filter((c) => c.Action === 'SendBatchSms');
    return {
      sender: new AliyunSmsSender({ credentials: () => TEST_AK, signName: '智能营销', endpoint: fake.url }),
      delivered: () => fake.calls.map((c) => [c.PhoneNumbers, c.TemplateCode, JSON.parse(c.TemplateParam), c.OutId]),
      batchDelivered: () =>
        batchCalls().flatMap((c) => {
          const params = JSON.parse(c.TemplateParamJson) as unknown[];
          return (JSON.parse(c.PhoneNumberJson) as string[]).map((phone, i): [string, unknown] => [phone, params[i]]);
        }),
      requests: () => batchCalls().length,
      refusal: { phone: '13800000000', failure: 'defer', code: 'isv.BUSINESS_LIMIT_CONTROL', wholeRequest: true },
      teardown: () => fake.close(),
    };
  },
  tencent: async () => {
    const fake = await startTencentSmsFake();
    return {
      sender: new TencentSmsSender(tencentOptions(fake.port)),
      delivered: () =>
        fake.sent.map((b) => [
          String((b.PhoneNumberSet as string[])[0]),
          String(b.TemplateId),
          b.TemplateParamSet,
          String(b.SessionContext),
        ]),
      batchDelivered: () =>
        fake.sent.flatMap((b) => (b.PhoneNumberSet as string[]).map((phone): [string, unknown] => [phone, b.TemplateParamSet])),
      requests: () => fake.sent.length,
      refusal: { phone: '13812344444', failure: 'permanent', code: 'FailedOperation.PhoneNumberInBlacklist', wholeRequest: false },
      teardown: () => fake.close(),
    };
  },
};

/** Sends to the fake while the SDK signs for the real host name (its first label is the service). */
const toLocalhost = new http.Agent({
  lookup: (_host, options, cb) =>
    (options as { all?: boolean }).all
      ? (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }])
      : cb(null, '127.0.0.1', 4),
});
const tencentOptions = (port: number) => ({
  ...TEST_TENCENT,
  signName: '智能营销',
  endpoint: `sms.tencentcloudapi.com:${port}`,
  protocol: 'http://' as const,
  agent: toLocalhost,
});

const message = {
  phone: '13812345678',
  templateId: 'SMS_100001',
  params: { name: '王女士', coupon: '20' },
  outId: 'spring-sale:run-1:u42',
};
const batchOf = (phone: string, name: string, outId: string): BatchMessage => ({ phone, params: { name, coupon: '20' }, outId });
/** A number as a provider or the outbox (masked) records it, compared masked and without +86. */
const asSeen = (phone: string) => maskPhones(phone.replace(/^\+86/, ''));

describe.each(Object.keys(adapters))('SMS contract: %s', (name) => {
  let h: Harness;
  beforeEach(async () => {
    h = await adapters[name]();
  });
  afterEach(() => h.teardown());

  it('sends one message with its template, parameters and our id, and returns a receipt', async () => {
    const receipt = await h.sender.send(message);
    expect(receipt.messageId).not.toBe('');
    const [[phone, template, params, outId]] = h.delivered();
    expect(phone).toMatch(/^(\+86)?138\*{0,4}\d*5678$/);
    expect(template).toBe('SMS_100001');
    expect(JSON.stringify(params)).toContain('王女士');
    expect(outId).toBe('spring-sale:run-1:u42');
  });

  it('refuses a number that is not a mainland mobile, permanently, before sending', async () => {
    const err = await h.sender.send({ ...message, phone: '12345' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmsError);
    expect(err).toMatchObject({ failure: 'permanent' });
  });

  it('accepts +86 numbers', async () => {
    await expect(h.sender.send({ ...message, phone: '+8613812345678' })).resolves.toBeDefined();
  });

  it('a mixed batch: one outcome per message, in order; an invalid number fails alone and is never sent', async () => {
    const third = h.refusal?.phone ?? '13712345670';
    const messages = [
      batchOf('13812345678', '王女士', 'a'),
      batchOf('12345', '李先生', 'bad'),
      batchOf(third, '赵女士', 'c'),
      batchOf('+8613912340001', '张先生', 'b'),
    ];
    const outcomes = await h.sender.sendBatch({ templateId: 'SMS_100001', messages });
    expect(outcomes.map((o) => o.outId)).toEqual(['a', 'bad', 'c', 'b']);
    expect(outcomes[1]).toEqual({ outId: 'bad', status: 'failed', failure: 'permanent', code: 'invalid_phone' });
    const sent = { status: 'sent', messageId: expect.any(String) };
    const refused = h.refusal ? { status: 'failed', failure: h.refusal.failure, code: h.refusal.code } : sent;
    // Alibaba's one Code answers for the whole request: the refusal costs its neighbours too.
    const valid = h.refusal?.wholeRequest ? refused : sent;
    expect(outcomes[0]).toMatchObject(valid);
    expect(outcomes[2]).toMatchObject(refused);
    expect(outcomes[3]).toMatchObject(valid);
    const seen = new Map(h.batchDelivered().map(([phone, params]) => [asSeen(phone), JSON.stringify(params)]));
    expect([...seen.keys()].sort()).toEqual(['138****5678', '139****0001', asSeen(third)].sort());
    expect(seen.get('138****5678')).toContain('王女士');
    expect(seen.get('139****0001')).toContain('张先生');
  });

  it('a full batch goes out in one request when the parameters agree', async () => {
    const messages = Array.from({ length: h.sender.maxBatch }, (_v, i) => batchOf(`1390001${2000 + i}`, '王女士', `m${i}`));
    const outcomes = await h.sender.sendBatch({ templateId: 'SMS_100001', messages });
    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(h.sender.maxBatch);
    expect(h.batchDelivered()).toHaveLength(h.sender.maxBatch);
    if (h.requests) expect(h.requests()).toBe(1);
  });

  it('a batch over maxBatch is a bug: it throws and sends nothing', async () => {
    const messages = Array.from({ length: h.sender.maxBatch + 1 }, (_v, i) => batchOf(`1390001${2000 + i}`, '王女士', `m${i}`));
    await expect(h.sender.sendBatch({ templateId: 'SMS_100001', messages })).rejects.toThrow(RangeError);
    expect(h.batchDelivered()).toEqual([]);
  });
});

describe('SMS provider errors are classified for the caller', () => {
  it('Alibaba: flow control defers, system errors retry, a wrong secret is permanent', async () => {
    const fake = await startAlibabaRpcFake('2017-05-25', { SendSms: sendSmsAction });
    const sender = new AliyunSmsSender({ credentials: () => TEST_AK, signName: '智能营销', endpoint: fake.url });
    await expect(sender.send({ ...message, phone: '13800000000' })).rejects.toMatchObject({
      code: 'isv.BUSINESS_LIMIT_CONTROL',
      failure: 'defer',
    });
    await expect(sender.send({ ...message, phone: '13899999999' })).rejects.toMatchObject({ code: 'isp.SYSTEM_ERROR', failure: 'retry' });
    const wrongKey = new AliyunSmsSender({
      credentials: () => ({ ...TEST_AK, accessKeySecret: 'nope' }),
      signName: 'x',
      endpoint: fake.url,
    });
    await expect(wrongKey.send(message)).rejects.toMatchObject({ code: 'SignatureDoesNotMatch', failure: 'permanent' });
    await fake.close();
  });

  it('Tencent: per-number failures inside a 200 reply are errors; a wrong key fails the signature', async () => {
    const fake = await startTencentSmsFake();
    const opts = tencentOptions(fake.port);
    const sender = new TencentSmsSender(opts);
    await expect(sender.send({ ...message, phone: '13800000000' })).rejects.toMatchObject({
      code: 'LimitExceeded.DeliveryFrequencyLimit',
      failure: 'defer',
    });
    await expect(sender.send({ ...message, phone: '13812344444' })).rejects.toMatchObject({
      code: 'FailedOperation.PhoneNumberInBlacklist',
      failure: 'permanent',
    });
    await expect(new TencentSmsSender({ ...opts, secretKey: 'nope' }).send(message)).rejects.toMatchObject({
      code: 'AuthFailure.SignatureFailure',
    });
    await fake.close();
  });

  it('an unreachable provider is uncertain: the message may or may not have gone out', async () => {
    const sender = new AliyunSmsSender({ credentials: () => TEST_AK, signName: 'x', endpoint: 'http://127.0.0.1:1', timeoutMs: 500 });
    await expect(sender.send(message)).rejects.toMatchObject({ failure: 'uncertain' });
  });

  it('error messages never carry a full phone number', async () => {
    const err = (await new OutboxSmsSender('/dev/null').send({ ...message, phone: '1381234567' }).catch((e: unknown) => e)) as Error;
    expect(err.message).not.toMatch(/\d{10}/);
  });
});

describe('SMS batches on the wire, through the real SDK clients', () => {
  const pair = [batchOf('13812345678', '王女士', 'a'), batchOf('13912340001', '张先生', 'b')];
  const failedAs = (failure: SmsFailure, code: string) => (o: SendOutcome) => expect(o).toMatchObject({ status: 'failed', failure, code });

  it('Alibaba: one SendBatchSms with the sign name per number and the params per number; its one Code answers for all', async () => {
    const batch = sendBatchSmsAction();
    const fake = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: batch });
    const sender = new AliyunSmsSender({ credentials: () => TEST_AK, signName: '智能营销', endpoint: fake.url, timeoutMs: 300 });
    const sent = await sender.sendBatch({ templateId: 'SMS_100001', messages: pair });
    expect(sent).toEqual([
      expect.objectContaining({ outId: 'a', status: 'sent' }),
      expect.objectContaining({ outId: 'b', status: 'sent' }),
    ]);
    expect(fake.calls[0]).toMatchObject({
      PhoneNumberJson: '["13812345678","13912340001"]',
      SignNameJson: '["智能营销","智能营销"]',
      TemplateCode: 'SMS_100001',
      TemplateParamJson: JSON.stringify(pair.map((m) => m.params)),
      OutId: 'a',
    });
    const cases: Array<[BatchSmsFault, SmsFailure, string]> = [
      ['throttle', 'retry', 'Throttling.User'],
      ['flowControl', 'defer', 'isv.BUSINESS_LIMIT_CONTROL'],
      ['templateIllegal', 'permanent', 'isv.SMS_TEMPLATE_ILLEGAL'],
      ['systemError', 'retry', 'isp.SYSTEM_ERROR'],
      ['timeout', 'uncertain', 'timeout'],
    ];
    for (const [fault, failure, code] of cases) {
      batch.faults.push(fault);
      (await sender.sendBatch({ templateId: 'SMS_100001', messages: pair })).forEach(failedAs(failure, code));
    }
    // The first send and the one that timed out: the fake took those numbers, nothing else.
    expect(batch.accepted).toEqual(['13812345678', '13912340001', '13812345678', '13912340001']);
    await fake.close();
  });

  it('Alibaba (the fake itself): refuses the batches the service refuses', async () => {
    const fake = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: sendBatchSmsAction() });
    const client = alibabaRpcClient(() => TEST_AK, fake.url, '2017-05-25');
    const json = (n: number, v: unknown) => JSON.stringify(Array.from({ length: n }, () => v));
    const ask = (p: Record<string, string>) =>
      client.request('SendBatchSms', { TemplateCode: 'SMS_1', ...p }, { method: 'POST' }).catch((e: { code: string }) => e.code);
    expect(await ask({ PhoneNumberJson: json(101, '13812345678'), SignNameJson: json(101, 's') })).toBe('isv.MOBILE_COUNT_OVER_LIMIT');
    expect(await ask({ PhoneNumberJson: json(2, '13812345678'), SignNameJson: json(1, 's') })).toBe('isv.INVALID_PARAMETERS');
    expect(await ask({ PhoneNumberJson: json(1, '13812345678'), SignNameJson: json(1, 's'), TemplateParamJson: json(1, { n: 1 }) })).toBe(
      'isv.INVALID_JSON_PARAM',
    );
    expect(await ask({ PhoneNumberJson: json(1, '12345'), SignNameJson: json(1, 's') })).toBe('isv.MOBILE_NUMBER_ILLEGAL');
    expect(await ask({ PhoneNumberJson: json(1, '13812345678'), SignNameJson: json(1, 's'), TemplateCode: '' })).toBe(
      'MissingTemplateCode',
    );
    await fake.close();
  });

  it('Alibaba: an unreachable service is uncertain for every number', async () => {
    const sender = new AliyunSmsSender({ credentials: () => TEST_AK, signName: 'x', endpoint: 'http://127.0.0.1:1', timeoutMs: 300 });
    (await sender.sendBatch({ templateId: 'SMS_1', messages: pair })).forEach(failedAs('uncertain', 'network_error'));
  });

  it('Tencent: one request per set of params, SessionContext its first outId, outcomes matched by number and kept in order', async () => {
    const fake = await startTencentSmsFake();
    const sender = new TencentSmsSender(tencentOptions(fake.port));
    const messages = [
      batchOf('13812345678', '王女士', 'a'),
      batchOf('13912340001', '张先生', 'b'),
      batchOf('13712341111', '王女士', 'c'),
      batchOf('13612344444', '王女士', 'd'),
    ];
    const outcomes = await sender.sendBatch({ templateId: '1234567', messages });
    expect(fake.sent.map((b) => [b.PhoneNumberSet, b.TemplateParamSet, b.SessionContext])).toEqual([
      [['+8613812345678', '+8613712341111', '+8613612344444'], ['王女士', '20'], 'a'],
      [['+8613912340001'], ['张先生', '20'], 'b'],
    ]);
    expect(outcomes.map((o) => [o.outId, o.status, o.status === 'failed' ? o.failure : 'sent'])).toEqual([
      ['a', 'sent', 'sent'],
      ['b', 'sent', 'sent'],
      ['c', 'failed', 'defer'],
      ['d', 'failed', 'permanent'],
    ]);
    expect(outcomes[2]).toMatchObject({ code: 'LimitExceeded.PhoneNumberDailyLimit' });
    await fake.close();
  });

  it('Tencent: a number twice in a batch goes in separate requests, so results stay unambiguous', async () => {
    const fake = await startTencentSmsFake();
    const outcomes = await new TencentSmsSender(tencentOptions(fake.port)).sendBatch({
      templateId: '1',
      messages: [pair[0], { ...pair[0], outId: 'again' }],
    });
    expect(fake.sent.map((b) => b.PhoneNumberSet)).toEqual([['+8613812345678'], ['+8613812345678']]);
    expect(outcomes.map((o) => [o.outId, o.status])).toEqual([
      ['a', 'sent'],
      ['again', 'sent'],
    ]);
    await fake.close();
  });

  it("a batch sent under its campaign's sign name carries it instead of the deployment's", async () => {
    const alibaba = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: sendBatchSmsAction() });
    const aliyun = new AliyunSmsSender({ credentials: () => TEST_AK, signName: '智能营销', endpoint: alibaba.url, timeoutMs: 300 });
    await aliyun.sendBatch({ templateId: 'SMS_100001', signName: '示例商城', messages: pair });
    expect(alibaba.calls[0]).toMatchObject({ SignNameJson: '["示例商城","示例商城"]' });
    await alibaba.close();
    const tencent = await startTencentSmsFake();
    await new TencentSmsSender(tencentOptions(tencent.port)).sendBatch({ templateId: '1', signName: '示例商城', messages: [pair[0]] });
    expect(tencent.sent.map((b) => b.SignName)).toEqual(['示例商城']);
    await tencent.close();
  });

  it(
    'Tencent: a request-level error fails each of its numbers with its ' + 'class; no answer is uncertain; a wrong key fails the signature',
    async () => {
      const fake = await startTencentSmsFake();
      const sender = new TencentSmsSender({ ...tencentOptions(fake.port), timeoutS: 0.3 });
      const samePair = pair.map((m) => ({ ...m, params: { name: '客户' } }));
      fake.faults.push('RequestLimitExceeded', 'timeout');
      (await sender.sendBatch({ templateId: '1', messages: samePair })).forEach(failedAs('retry', 'RequestLimitExceeded'));
      (await sender.sendBatch({ templateId: '1', messages: samePair })).forEach(failedAs('uncertain', 'timeout'));
      expect(fake.accepted).toEqual(['+8613812345678', '+8613912340001']);
      const wrongKey = new TencentSmsSender({ ...tencentOptions(fake.port), secretKey: 'nope' });
      (await wrongKey.sendBatch({ templateId: '1', messages: samePair })).forEach(failedAs('permanent', 'AuthFailure.SignatureFailure'));
      await fake.close();
    },
  );
});
