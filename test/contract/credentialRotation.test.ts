/**
 * FC's role credentials are STS credentials that expire; a long-lived instance gets fresh ones with
 * each invocation. Every cloud client must sign the next request with the newest: the real SDK
 * clients (ali-oss, pop-core) against wire fakes that accept each key only with its token.
 */
import { CredentialSource } from '#lib/cloud/credentials';
import { CloudMonitorSink } from '#lib/metrics/cloudMonitor';
import { OssObjectStore } from '#lib/objectStore/ossStore';
import { AliyunSmsSender } from '#lib/sms/aliyunSms';
import { putCustomMetricAction, sendSmsAction, startAlibabaRpcFake, TEST_STS } from '../wire/alibabaRpc';
import { startOssFake } from '../wire/oss';

const [before, after] = TEST_STS;

describe('credentials rotating between two calls', () => {
  it('OSS (ali-oss) signs the second call with the new key and token', async () => {
    const fake = await startOssFake('rotation');
    const source = new CredentialSource(before);
    const store = new OssObjectStore({ bucket: 'rotation', region: 'oss-cn-hangzhou', endpoint: fake.url, credentials: source.current });
    await store.put('a', Buffer.from('a'));
    source.update(after);
    await store.put('b', Buffer.from('b'));
    expect(
      fake.received.map((r) => [/^OSS ([^:]+):/.exec(String(r.headers.authorization))?.[1], r.headers['x-oss-security-token']]),
    ).toEqual([
      [before.accessKeyId, before.securityToken],
      [after.accessKeyId, after.securityToken],
    ]);
    await fake.close();
  });

  it('CloudMonitor and Alibaba SMS (pop-core) sign the second call with the new key and token', async () => {
    const cms = await startAlibabaRpcFake('2019-01-01', { PutCustomMetric: putCustomMetricAction });
    const sms = await startAlibabaRpcFake('2017-05-25', { SendSms: sendSmsAction });
    const source = new CredentialSource(before);
    const sink = new CloudMonitorSink({ credentials: source.current, region: 'cn-hangzhou', endpoint: cms.url });
    const sender = new AliyunSmsSender({ credentials: source.current, signName: '智能营销', endpoint: sms.url });
    const datum = { name: 'Invocations', value: 1, dimensions: {}, time: Date.now() };
    const message = { phone: '13812345678', templateId: 'SMS_1', params: { name: 'x' }, outId: 'o1' };
    await sink.put([datum]);
    await sender.send(message);
    source.update(after);
    await sink.put([datum]);
    await sender.send({ ...message, outId: 'o2' });
    for (const fake of [cms, sms]) {
      expect(fake.calls.map((c) => [c.AccessKeyId, c.SecurityToken])).toEqual([
        [before.accessKeyId, before.securityToken],
        [after.accessKeyId, after.securityToken],
      ]);
      await fake.close();
    }
  });

  it('an invocation without credentials keeps the latest ones; none at all is a configuration error naming the variables', () => {
    const source = new CredentialSource(before);
    source.update(after);
    source.update(undefined);
    expect(source.current()).toBe(after);
    expect(() => new CredentialSource({}).current()).toThrow(
      /ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are required/,
    );
  });
});
