/**
 * The providers' delivery queries through their real SDK clients, against wire fakes that check
 * each request's signature: Alibaba QuerySendDetails (pop-core, HMAC-SHA1) and Tencent
 * PullSmsSendStatusByPhoneNumber (tencentcloud-sdk-nodejs, TC3-HMAC-SHA256).
 */
import http from 'node:http';
import { AliyunDeliveryLookup, beijingDays } from '#lib/sms/aliyunFeedback';
import { AliyunSmsSender } from '#lib/sms/aliyunSms';
import { SmsError } from '#lib/sms/port';
import { TencentDeliveryLookup } from '#lib/sms/tencentFeedback';
import { TencentSmsSender } from '#lib/sms/tencentSms';
import { querySendDetailsAction, sendBatchSmsAction, startAlibabaRpcFake, TEST_AK } from '../wire/alibabaRpc';
import { startTencentSmsFake, TEST_TENCENT } from '../wire/tencentSms';

const toLocalhost = new http.Agent({
  lookup: (_host, options, cb) =>
    (options as { all?: boolean }).all
      ? (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }])
      : cb(null, '127.0.0.1', 4),
});
const tencentOptions = (port: number) => ({
  ...TEST_TENCENT,
  endpoint: `sms.tencentcloudapi.com:${port}`,
  protocol: 'http://' as const,
  agent: toLocalhost,
});
const message = (phone: string, outId: string) => ({ phone, params: { name: '王女士' }, outId });

describe('Alibaba QuerySendDetails', () => {
  it('lists every message to a number, waiting ones too, with our OutId, a page of 50 at a time', async () => {
    const batch = sendBatchSmsAction();
    const fake = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: batch, QuerySendDetails: querySendDetailsAction(batch) });
    try {
      const sender = new AliyunSmsSender({ credentials: () => TEST_AK, signName: '示例商城', endpoint: fake.url });
      for (let i = 0; i < 55; i++)
        await sender.sendBatch({
          templateId: 'SMS_1',
          messages: [message('13812345675', `run-${i}|u1`), message('13912345675', `run-${i}|u1`)],
        });
      batch.records[0].status = 3;
      batch.records[0].receivedAt = Date.now();
      Object.assign(batch.records[2], { status: 2, errCode: 'MK:0001', receivedAt: Date.now() });
      const lookup = new AliyunDeliveryLookup({ credentials: () => TEST_AK, endpoint: fake.url });
      const records = await lookup.recordsOf('+8613812345675', Date.now() - 60_000, Date.now());
      expect(records).toHaveLength(55);
      expect(records.slice(0, 3)).toEqual([
        { outId: 'run-0|u1', status: 'delivered', code: 'DELIVERED', at: expect.any(Number) },
        { outId: 'run-1|u1', status: 'undelivered', code: 'MK:0001', at: expect.any(Number) },
        { outId: 'run-2|u1', status: 'pending', code: 'pending', at: expect.any(Number) },
      ]);
      const queries = fake.calls.filter((c) => c.Action === 'QuerySendDetails');
      expect(queries.map((c) => [c.PhoneNumber, c.PageSize, c.CurrentPage])).toEqual(
        beijingDays(Date.now() - 60_000, Date.now()).flatMap(() => [
          ['13812345675', '50', '1'],
          ['13812345675', '50', '2'],
        ]),
      );
      const wrongKey = new AliyunDeliveryLookup({ credentials: () => ({ ...TEST_AK, accessKeySecret: 'nope' }), endpoint: fake.url });
      const err = await wrongKey.recordsOf('+8613812345675', Date.now(), Date.now()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SmsError);
      expect(err).toMatchObject({ code: 'SignatureDoesNotMatch' });
      expect((err as Error).message).not.toMatch(/13812345675/);
    } finally {
      await fake.close();
    }
  });

  it('asks for each Beijing day the span touches', () => {
    expect(beijingDays(Date.parse('2026-11-30T23:50:00+08:00'), Date.parse('2026-12-01T00:10:00+08:00'))).toEqual(['20261130', '20261201']);
  });
});

describe('Tencent PullSmsSendStatusByPhoneNumber', () => {
  it('lists the messages to a number the carrier reported on; SessionContext only where Tencent echoes it', async () => {
    const fake = await startTencentSmsFake();
    try {
      const sender = new TencentSmsSender({ ...tencentOptions(fake.port), signName: '示例商城' });
      await sender.sendBatch({ templateId: '1', messages: [message('13812345675', 'run-a|u1'), message('13912345675', 'run-a|u1')] });
      await sender.sendBatch({ templateId: '1', messages: [message('13812345675', 'run-b|u1')] });
      const [first, , second] = fake.records;
      first.report = { status: 'SUCCESS', description: '用户短信送达成功', receivedAt: Date.now() };
      second.report = { status: 'FAIL', description: '用户不在服务区', receivedAt: Date.now() };
      const lookup = new TencentDeliveryLookup(tencentOptions(fake.port));
      const span = [Date.now() - 60_000, Date.now() + 1000] as const;
      expect(await lookup.recordsOf('+8613812345675', ...span)).toEqual([
        {
          outId: undefined,
          messageId: first.serialNo,
          status: 'delivered',
          code: 'SUCCESS',
          description: '用户短信送达成功',
          at: Math.floor(first.report.receivedAt / 1000) * 1000,
        },
        {
          outId: undefined,
          messageId: second.serialNo,
          status: 'undelivered',
          code: 'FAIL',
          description: '用户不在服务区',
          at: Math.floor(second.report.receivedAt / 1000) * 1000,
        },
      ]);
      // The other number's message has no report yet: not listed.
      expect(await lookup.recordsOf('+8613912345675', ...span)).toEqual([]);
      fake.echoSessionContext = true;
      expect((await lookup.recordsOf('+8613812345675', ...span)).map((r) => r.outId)).toEqual(['run-a|u1', 'run-b|u1']);
      const wrongKey = new TencentDeliveryLookup({ ...tencentOptions(fake.port), secretKey: 'nope' });
      await expect(wrongKey.recordsOf('+8613812345675', ...span)).rejects.toMatchObject({ code: 'AuthFailure.SignatureFailure' });
    } finally {
      await fake.close();
    }
  });
});
