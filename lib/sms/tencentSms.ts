/** Tencent Cloud SMS (2021-01-11 SendSms) through `tencentcloud-sdk-nodejs`. */
import type { Agent } from 'node:http';
import { sms } from 'tencentcloud-sdk-nodejs/tencentcloud/services/sms';
import {
  failAll,
  nationalNumber,
  prepareBatch,
  SmsError,
  type Addressed,
  type SendBatchOptions,
  type SendOutcome,
  type SmsBatch,
  type SmsFailure,
  type SmsMessage,
  type SmsReceipt,
  type SmsSender,
} from './port';

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

/** The SDK's error: a code when Tencent answered with one; none when no answer came (the numbers may have been sent). */
function requestFailure(err: unknown): { code: string; failure: SmsFailure; message: string } {
  const e = err as { code?: string; message?: string };
  const noReply = /timeout/i.test(e.message ?? '') ? 'timeout' : 'network_error';
  return { code: e.code ?? noReply, failure: classifyTencentError(e.code), message: e.message ?? String(err) };
}

/**
 * SendSms takes one TemplateParamSet for all its numbers: one request per distinct set of
 * values (first seen first), and a repeated number goes to a later request, since results
 * are matched to messages by number.
 */
function requestsOf(messages: Addressed[]): Addressed[][] {
  const byParams = new Map<string, Addressed[][]>();
  for (const m of messages) {
    const key = JSON.stringify(Object.values(m.params));
    const requests = byParams.get(key) ?? [];
    let request = requests.find((r) => !r.some((other) => other.national === m.national));
    if (!request) requests.push((request = []));
    request.push(m);
    byParams.set(key, requests);
  }
  return [...byParams.values()].flat();
}

/** The SDK's client, signing TC3-HMAC-SHA256, for sending and for the delivery lookups. */
export function tencentSmsClient(o: Omit<TencentSmsOptions, 'signName'>): InstanceType<typeof sms.v20210111.Client> {
  return new sms.v20210111.Client({
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

export class TencentSmsSender implements SmsSender {
  readonly describe = 'tencent-sms';
  readonly provider = 'tencent';
  /** SendSms takes at most 200 numbers. */
  readonly maxBatch = 200;
  private readonly client: InstanceType<typeof sms.v20210111.Client>;

  constructor(private readonly o: TencentSmsOptions) {
    this.client = tencentSmsClient(o);
  }

  async send(m: SmsMessage): Promise<SmsReceipt> {
    let reply;
    try {
      reply = await this.request(m.templateId, this.o.signName, [`+86${nationalNumber(m.phone)}`], Object.values(m.params), m.outId);
    } catch (err) {
      if (err instanceof SmsError) throw err;
      const f = requestFailure(err);
      throw new SmsError(f.code, f.failure, `Tencent SendSms failed: ${f.message}`, { cause: err });
    }
    // A 200 reply can still carry a failure per number: check the one we sent.
    const status = reply.SendStatusSet?.[0];
    if (status?.Code !== 'Ok') {
      const code = status?.Code ?? 'missing_status';
      throw new SmsError(code, classifyTencentError(code), `Tencent SendSms refused the number: ${status?.Message ?? code}`);
    }
    return { provider: 'tencent', messageId: status.SerialNo ?? reply.RequestId ?? '' };
  }

  async sendBatch(batch: SmsBatch, options: SendBatchOptions = {}): Promise<SendOutcome[]> {
    const { outcomes, valid } = prepareBatch(batch, this.maxBatch);
    for (const messages of requestsOf(valid)) {
      await options.beforeRequest?.();
      await this.sendRequest(batch.templateId, batch.signName ?? this.o.signName, messages, outcomes);
    }
    return outcomes;
  }

  private async sendRequest(templateId: string, signName: string, messages: Addressed[], outcomes: SendOutcome[]): Promise<void> {
    let reply;
    try {
      // SessionContext carries one id per request: the first message's; results are told apart by number.
      reply = await this.request(
        templateId,
        signName,
        messages.map((m) => `+86${m.national}`),
        Object.values(messages[0].params),
        messages[0].outId,
      );
    } catch (err) {
      const f = requestFailure(err);
      return failAll(outcomes, messages, f.failure, f.code, f.message);
    }
    const statuses = new Map((reply.SendStatusSet ?? []).map((s) => [nationalOrRaw(s.PhoneNumber ?? ''), s]));
    for (const m of messages) {
      const status = statuses.get(m.national);
      if (!status) {
        // Tencent took the request but said nothing of this number: it may have gone out.
        outcomes[m.index] = { outId: m.outId, status: 'failed', failure: 'uncertain', code: 'missing_status' };
      } else if (status.Code === 'Ok') {
        outcomes[m.index] = { outId: m.outId, status: 'sent', messageId: status.SerialNo || reply.RequestId || '' };
      } else {
        outcomes[m.index] = {
          outId: m.outId,
          status: 'failed',
          failure: classifyTencentError(status.Code),
          code: status.Code ?? 'missing_code',
        };
      }
    }
  }

  private request(templateId: string, signName: string, phones: string[], params: string[], sessionContext: string) {
    return this.client.SendSms({
      PhoneNumberSet: phones,
      SmsSdkAppId: this.o.sdkAppId,
      SignName: signName,
      TemplateId: templateId,
      TemplateParamSet: params,
      SessionContext: sessionContext,
    });
  }
}

function nationalOrRaw(phone: string): string {
  try {
    return nationalNumber(phone);
  } catch {
    return phone;
  }
}
