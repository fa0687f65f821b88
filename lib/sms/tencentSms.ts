/** Tencent Cloud SMS (2021-01-11 SendSms) through `tencentcloud-sdk-nodejs`. */
import type { Agent } from 'node:http';
import { sms } from 'tencentcloud-sdk-nodejs/tencentcloud/services/sms';
import { nationalNumber, SmsError, type SmsFailure, type SmsMessage, type SmsReceipt, type SmsSender } from './port';

export interface TencentSmsOptions {
  secretId: string;
  secretKey: string;
  sdkAppId: string;
  signName: string;
  region?: string;
  /** Host, default `sms.tencentcloudapi.com`; its first label names the signed service. */
  endpoint?: string;
  protocol?: 'https://' | 'http://';
  /** An HTTP agent, e.g. for a proxy (tests use one that resolves the host to a local server). */
  agent?: Agent;
  timeoutS?: number;
}

/** Our retry policy for Tencent's error codes (request-level and per-number). */
export function classifyTencentError(code: string | undefined): SmsFailure {
  if (!code) return 'uncertain';
  if (code.startsWith('InternalError') || code === 'RequestLimitExceeded') return 'retry';
  if (code.startsWith('LimitExceeded')) return 'defer';
  return 'permanent';
}

export class TencentSmsSender implements SmsSender {
  readonly describe = 'tencent-sms';
  private readonly client: InstanceType<typeof sms.v20210111.Client>;

  constructor(private readonly o: TencentSmsOptions) {
    this.client = new sms.v20210111.Client({
      credential: { secretId: o.secretId, secretKey: o.secretKey },
      region: o.region ?? 'ap-guangzhou',
      profile: {
        signMethod: 'TC3-HMAC-SHA256',
        httpProfile: {
          endpoint: o.endpoint ?? 'sms.tencentcloudapi.com',
          protocol: o.protocol ?? 'https://',
          reqMethod: 'POST',
          reqTimeout: o.timeoutS ?? 5,
          agent: o.agent,
        },
      },
    });
  }

  async send(m: SmsMessage): Promise<SmsReceipt> {
    let reply;
    try {
      reply = await this.client.SendSms({
        PhoneNumberSet: [`+86${nationalNumber(m.phone)}`],
        SmsSdkAppId: this.o.sdkAppId,
        SignName: this.o.signName,
        TemplateId: m.templateId,
        TemplateParamSet: Object.values(m.params),
        SessionContext: m.outId,
      });
    } catch (err) {
      if (err instanceof SmsError) throw err;
      const e = err as { code?: string; message?: string };
      throw new SmsError(e.code ?? 'network_error', classifyTencentError(e.code), `Tencent SendSms failed: ${e.message}`, { cause: err });
    }
    // A 200 reply can still carry a failure per number: check the one we sent.
    const status = reply.SendStatusSet?.[0];
    if (!status || status.Code !== 'Ok') {
      const code = status?.Code ?? 'missing_status';
      throw new SmsError(code, classifyTencentError(code), `Tencent SendSms refused the number: ${status?.Message ?? code}`);
    }
    return { provider: 'tencent', messageId: status.SerialNo ?? reply.RequestId ?? '' };
  }
}
