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
import { SmsError, type SmsSender } from '#lib/sms/port';
import { TencentSmsSender } from '#lib/sms/tencentSms';
import { sendSmsAction, startAlibabaRpcFake, TEST_AK } from '../wire/alibabaRpc';
import { startTencentSmsFake, TEST_TENCENT } from '../wire/tencentSms';

interface Harness {
  sender: SmsSender;
  /** What reached the provider (or the outbox), as [phone, template, params, outId]. */
  delivered(): Array<[string, string, unknown, string]>;
  teardown(): Promise<void>;
}

const adapters: Record<string, () => Promise<Harness>> = {
  outbox: async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-sms-'));
    const file = path.join(dir, 'outbox.jsonl');
    return {
      sender: new OutboxSmsSender(file),
      delivered: () =>
        readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .map((m) => [m.phone, m.templateId, m.params, m.outId]),
      teardown: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  aliyun: async () => {
    const fake = await startAlibabaRpcFake('2017-05-25', { SendSms: sendSmsAction });
    return {
      sender: new AliyunSmsSender({ credentials: () => TEST_AK, signName: '智能营销', endpoint: fake.url }),
      delivered: () => fake.calls.map((c) => [c.PhoneNumbers, c.TemplateCode, JSON.parse(c.TemplateParam), c.OutId]),
      teardown: () => fake.close(),
    };
  },
  tencent: async () => {
    const fake = await startTencentSmsFake();
    return {
      sender: new TencentSmsSender(tencentOptions(fake.port)),
      delivered: () => fake.sent.map((b) => [String((b.PhoneNumberSet as string[])[0]), String(b.TemplateId), b.TemplateParamSet, String(b.SessionContext)]),
      teardown: () => fake.close(),
    };
  },
};

/** Sends to the fake while the SDK signs for the real host name (its first label is the service). */
const toLocalhost = new http.Agent({
  lookup: (_host, options, cb) =>
    (options as { all?: boolean }).all ? (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
});
const tencentOptions = (port: number) => ({ ...TEST_TENCENT, signName: '智能营销', endpoint: `sms.tencentcloudapi.com:${port}`, protocol: 'http://' as const, agent: toLocalhost });

const message = { phone: '13812345678', templateId: 'SMS_100001', params: { name: '王女士', coupon: '20' }, outId: 'spring-sale:run-1:u42' };

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
});

describe('SMS provider errors are classified for the caller', () => {
  it('Alibaba: flow control defers, system errors retry, a wrong secret is permanent', async () => {
    const fake = await startAlibabaRpcFake('2017-05-25', { SendSms: sendSmsAction });
    const sender = new AliyunSmsSender({ credentials: () => TEST_AK, signName: '智能营销', endpoint: fake.url });
    await expect(sender.send({ ...message, phone: '13800000000' })).rejects.toMatchObject({ code: 'isv.BUSINESS_LIMIT_CONTROL', failure: 'defer' });
    await expect(sender.send({ ...message, phone: '13899999999' })).rejects.toMatchObject({ code: 'isp.SYSTEM_ERROR', failure: 'retry' });
    const wrongKey = new AliyunSmsSender({ credentials: () => ({ ...TEST_AK, accessKeySecret: 'nope' }), signName: 'x', endpoint: fake.url });
    await expect(wrongKey.send(message)).rejects.toMatchObject({ code: 'SignatureDoesNotMatch', failure: 'permanent' });
    await fake.close();
  });

  it('Tencent: per-number failures inside a 200 reply are errors; a wrong key fails the signature', async () => {
    const fake = await startTencentSmsFake();
    const opts = tencentOptions(fake.port);
    const sender = new TencentSmsSender(opts);
    await expect(sender.send({ ...message, phone: '13800000000' })).rejects.toMatchObject({ code: 'LimitExceeded.DeliveryFrequencyLimit', failure: 'defer' });
    await expect(sender.send({ ...message, phone: '13812344444' })).rejects.toMatchObject({ code: 'FailedOperation.PhoneNumberInBlacklist', failure: 'permanent' });
    await expect(new TencentSmsSender({ ...opts, secretKey: 'nope' }).send(message)).rejects.toMatchObject({ code: 'AuthFailure.SignatureFailure' });
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
