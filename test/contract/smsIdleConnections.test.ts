/**
 * Alibaba's front ends drop kept-alive connections that sat idle; a send written onto one they
 * have just dropped gets no answer, an uncertain outcome. The sender closes idle connections
 * itself before that (lib/cloud/alibabaRpc.ts), so a send after a pause goes out on a fresh one.
 */
import { AliyunSmsSender } from '#lib/sms/aliyunSms';
import type { SmsBatch } from '#lib/sms/port';
import { sendBatchSmsAction, startAlibabaRpcFake, TEST_AK } from '../wire/alibabaRpc';
import type { HttpFake } from '../wire/httpFake';
import { startIdleDroppingProxy, type IdleDroppingProxy } from '../wire/idleDroppingProxy';

const DROPS_AFTER_MS = 200;
const batch = (i: number): SmsBatch => ({
  templateId: 'SMS_100',
  signName: '示例商城',
  messages: [{ phone: `+8613700000${String(i).padStart(2, '0')}5`, params: { name: '客' }, outId: `run|u${i}` }],
});
const idle = () => new Promise((resolve) => setTimeout(resolve, DROPS_AFTER_MS * 2));

let fake: HttpFake;
let proxy: IdleDroppingProxy;
beforeEach(async () => {
  fake = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: sendBatchSmsAction() });
  proxy = await startIdleDroppingProxy(fake.port, DROPS_AFTER_MS);
});
afterEach(async () => {
  await proxy.close();
  await fake.close();
});

it('sends after an idle pause on a fresh connection: a front end that drops idle connections costs no send', async () => {
  const sender = new AliyunSmsSender({
    credentials: () => TEST_AK,
    signName: '示例商城',
    endpoint: `http://127.0.0.1:${proxy.port}`,
    idleSocketMs: DROPS_AFTER_MS / 4,
  });
  expect((await sender.sendBatch(batch(1)))[0]).toMatchObject({ status: 'sent' });
  await idle();
  expect((await sender.sendBatch(batch(2)))[0]).toMatchObject({ status: 'sent' });
  expect(proxy.dropped).toBe(0);
});

it('(the failure it prevents) a connection kept past the front end idle limit loses the send to an uncertain outcome', async () => {
  const sender = new AliyunSmsSender({
    credentials: () => TEST_AK,
    signName: '示例商城',
    endpoint: `http://127.0.0.1:${proxy.port}`,
    idleSocketMs: 60_000,
  });
  expect((await sender.sendBatch(batch(1)))[0]).toMatchObject({ status: 'sent' });
  await idle();
  expect((await sender.sendBatch(batch(2)))[0]).toMatchObject({ status: 'failed', failure: 'uncertain', code: 'network_error' });
  expect(proxy.dropped).toBe(1);
});
