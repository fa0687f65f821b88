/** Alibaba Cloud SMS (Dysmsapi 2017-05-25 SendSms, SendBatchSms) through `@alicloud/pop-core`. */
import type RPCClient from '@alicloud/pop-core';
import { alibabaRpcClient } from '#lib/cloud/alibabaRpc';
import type { CredentialsProvider } from '#lib/cloud/credentials';
import {
  failAll,
  nationalNumber,
  prepareBatch,
  SmsError,
  type SendBatchOptions,
  type SendOutcome,
  type SmsBatch,
  type SmsFailure,
  type SmsMessage,
  type SmsReceipt,
  type SmsSender,
} from './port';

export interface AliyunSmsOptions {
  credentials: CredentialsProvider;
  signName: string;
  endpoint?: string;
  timeoutMs?: number;
  /** Idle kept-alive connections are closed after this (lib/cloud/alibabaRpc.ts). */
  idleSocketMs?: number;
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

interface AliyunFailure {
  code: string;
  failure: SmsFailure;
  message: string;
}

/** pop-core throws for a reply whose Code is not OK (business errors) and for no reply at all (uncertain). */
function failureOf(err: unknown): AliyunFailure {
  const e = err as { name?: string; code?: string; message?: string; data?: SendSmsReply };
  const code = e.data?.Code ?? (typeof e.code === 'string' && e.code.includes('.') ? e.code : undefined);
  const noReply = e.name === 'RequestTimeoutError' ? 'timeout' : 'network_error';
  return { code: code ?? noReply, failure: classifyAliyunError(code), message: e.data?.Message ?? e.message ?? String(err) };
}

export class AliyunSmsSender implements SmsSender {
  readonly describe = 'aliyun-sms';
  readonly provider = 'aliyun';
  /** SendBatchSms takes at most 100 numbers. */
  readonly maxBatch = 100;
  private readonly client: RPCClient;

  constructor(private readonly o: AliyunSmsOptions) {
    this.client = alibabaRpcClient(o.credentials, o.endpoint ?? 'https://dysmsapi.aliyuncs.com', '2017-05-25', o.idleSocketMs);
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
      const reply = await this.request('SendSms', params);
      return { provider: 'aliyun', messageId: reply.BizId ?? reply.RequestId };
    } catch (err) {
      const f = failureOf(err);
      throw new SmsError(f.code, f.failure, `Alibaba SendSms failed: ${f.message}`, { cause: err });
    }
  }

  /** One SendBatchSms request; its one Code answers for every number in it. */
  async sendBatch(batch: SmsBatch, options: SendBatchOptions = {}): Promise<SendOutcome[]> {
    const { outcomes, valid } = prepareBatch(batch, this.maxBatch);
    if (valid.length === 0) return outcomes;
    const params = {
      PhoneNumberJson: JSON.stringify(valid.map((m) => m.national)),
      SignNameJson: JSON.stringify(valid.map(() => batch.signName ?? this.o.signName)),
      TemplateCode: batch.templateId,
      TemplateParamJson: JSON.stringify(valid.map((m) => m.params)),
      // One OutId per request: receipts carry the first message's id, and the number tells them apart.
      OutId: valid[0].outId,
    };
    await options.beforeRequest?.();
    try {
      const reply = await this.request('SendBatchSms', params);
      const messageId = reply.BizId ?? reply.RequestId;
      for (const m of valid) outcomes[m.index] = { outId: m.outId, status: 'sent', messageId };
    } catch (err) {
      const f = failureOf(err);
      failAll(outcomes, valid, f.failure, f.code, f.message);
    }
    return outcomes;
  }

  private request(action: string, params: Record<string, string>): Promise<SendSmsReply> {
    return this.client.request<SendSmsReply>(action, params, { method: 'POST', timeout: this.o.timeoutMs ?? 3000 });
  }
}
