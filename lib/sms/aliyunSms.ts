/** Alibaba Cloud SMS (Dysmsapi 2017-05-25 SendSms) through `@alicloud/pop-core`. */
import type RPCClient from '@alicloud/pop-core';
import { alibabaRpcClient } from '#lib/alibabaRpc';
import type { CredentialsProvider } from '#lib/cloudCredentials';
import { nationalNumber, SmsError, type SmsFailure, type SmsMessage, type SmsReceipt, type SmsSender } from './port';

export interface AliyunSmsOptions {
  credentials: CredentialsProvider;
  signName: string;
  endpoint?: string;
  timeoutMs?: number;
}

interface SendSmsReply {
  Code: string;
  Message: string;
  BizId?: string;
  RequestId: string;
}

/** Our retry policy for Alibaba's error codes (see docs/runtime.md, ports and adapters). */
export function classifyAliyunError(code: string | undefined): SmsFailure {
  if (!code) return 'uncertain';
  if (code === 'isp.SYSTEM_ERROR' || code.startsWith('Throttling') || code === 'ServiceUnavailable') return 'retry';
  if (code.endsWith('LIMIT_CONTROL')) return 'defer';
  return 'permanent';
}

export class AliyunSmsSender implements SmsSender {
  readonly describe = 'aliyun-sms';
  private readonly client: RPCClient;

  constructor(private readonly o: AliyunSmsOptions) {
    this.client = alibabaRpcClient(o.credentials, o.endpoint ?? 'https://dysmsapi.aliyuncs.com', '2017-05-25');
  }

  async send(m: SmsMessage): Promise<SmsReceipt> {
    const params = {
      PhoneNumbers: nationalNumber(m.phone),
      SignName: this.o.signName,
      TemplateCode: m.templateId,
      TemplateParam: JSON.stringify(m.params),
      OutId: m.outId,
    };
    try {
      // pop-core throws when the reply's Code is not OK, so business errors arrive in catch.
      const reply = await this.client.request<SendSmsReply>('SendSms', params, { method: 'POST', timeout: this.o.timeoutMs ?? 3000 });
      return { provider: 'aliyun', messageId: reply.BizId ?? reply.RequestId };
    } catch (err) {
      const e = err as { code?: string; message?: string; data?: SendSmsReply };
      const code = e.data?.Code ?? (typeof e.code === 'string' && e.code.includes('.') ? e.code : undefined);
      throw new SmsError(code ?? 'network_error', classifyAliyunError(code), `Alibaba SendSms failed: ${e.data?.Message ?? e.message}`, {
        cause: err,
      });
    }
  }
}
