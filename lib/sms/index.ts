import { now } from '#lib/clock';
import { requiredCredentials } from '#lib/cloud/credentials';
import { tencentSmsOf, type Config } from '#lib/config';
import { processShared } from '#lib/processShared';
import { AliyunDeliveryLookup } from './aliyunFeedback';
import { AliyunSmsSender } from './aliyunSms';
import type { DeliveryLookup } from './feedback';
import { OutboxSmsSender } from './outboxSms';
import type { SmsSender } from './port';
import { TencentDeliveryLookup } from './tencentFeedback';
import { TencentSmsSender } from './tencentSms';

export type { SmsSender, SmsMessage, SmsReceipt } from './port';
export { SmsError } from './port';

/** The SMS provider the configuration names, created once per process. */
export function smsSenderFrom(c: Config): SmsSender {
  return processShared(`sms:${c.sms}`, () => {
    switch (c.sms) {
      case 'aliyun':
        return new AliyunSmsSender({
          credentials: requiredCredentials(c),
          signName: c.smsSignName,
          endpoint: c.aliyunSmsEndpoint,
        });
      case 'tencent':
        return new TencentSmsSender({
          ...tencentSmsOf(c),
          signName: c.smsSignName,
          region: c.tencentSmsRegion,
          endpoint: c.tencentSmsEndpoint,
        });
      default:
        return new OutboxSmsSender(c.smsOutbox, now);
    }
  });
}

/** The configured provider's query API for what became of its messages; none for the local outbox. */
export function deliveryLookupFrom(c: Config): DeliveryLookup | undefined {
  return processShared(`sms-lookup:${c.sms}`, () => {
    switch (c.sms) {
      case 'aliyun':
        return new AliyunDeliveryLookup({ credentials: requiredCredentials(c), endpoint: c.aliyunSmsEndpoint });
      case 'tencent':
        return new TencentDeliveryLookup({ ...tencentSmsOf(c), region: c.tencentSmsRegion, endpoint: c.tencentSmsEndpoint });
      default:
        return undefined;
    }
  });
}
