import { now } from '../clock';
import type { Config } from '../config';
import { processShared } from '../shared';
import { AliyunSmsSender } from './aliyunSms';
import { OutboxSmsSender } from './outboxSms';
import type { SmsSender } from './port';
import { TencentSmsSender } from './tencentSms';

export type { SmsSender, SmsMessage, SmsReceipt } from './port';
export { SmsError } from './port';

/** The SMS provider the configuration names, created once per process. */
export function smsSenderFrom(c: Config): SmsSender {
  return processShared(`sms:${c.sms}`, () => {
    switch (c.sms) {
      case 'aliyun':
        return new AliyunSmsSender({
          accessKeyId: c.accessKeyId!,
          accessKeySecret: c.accessKeySecret!,
          securityToken: c.securityToken,
          signName: c.smsSignName,
          endpoint: c.aliyunSmsEndpoint,
        });
      case 'tencent':
        return new TencentSmsSender({
          secretId: c.tencentSecretId!,
          secretKey: c.tencentSecretKey!,
          sdkAppId: c.tencentSmsAppId!,
          signName: c.smsSignName,
          region: c.tencentSmsRegion,
          endpoint: c.tencentSmsEndpoint,
        });
      default:
        return new OutboxSmsSender(c.smsOutbox, now);
    }
  });
}
