/**
 * Alibaba Cloud SMS feedback: the HTTP batch pushes (SmsReport delivery reports, SmsUp replies;
 * a JSON array each, answered `{"code":0,…}`), and QuerySendDetails (Dysmsapi 2017-05-25) through
 * `@alicloud/pop-core` for what was sent to one number on one day.
 */
import type RPCClient from '@alicloud/pop-core';
import { SHANGHAI_OFFSET_MS } from '#lib/clock';
import { alibabaRpcClient } from '#lib/cloud/alibabaRpc';
import type { CredentialsProvider } from '#lib/cloud/credentials';
import { Invalid } from '#lib/contractCheck';
import {
  beijingTime,
  mobile,
  optionalText,
  record,
  text,
  type DeliveryLookup,
  type DeliveryRecord,
  type DeliveryReport,
  type SmsReply,
} from './feedback';
import { nationalNumber, SmsError } from './port';
import { classifyAliyunError } from './aliyunSms';

/** What Alibaba expects back for a push it may stop re-pushing (it checks only that `code` is a number). */
export const ALIYUN_ACK = { code: 0, msg: '接收成功' };
/** A push we could not take now (our store is down): a non-200 status makes Alibaba push it again. */
export const ALIYUN_RETRY = { code: 1, msg: '稍后重试' };

/** One SmsReport item: `{phone_number, send_time, report_time, success, err_code, err_msg, sms_size, biz_id, out_id}`. */
export function aliyunReport(raw: unknown): DeliveryReport {
  const r = record(raw);
  if (typeof r.success !== 'boolean') throw new Invalid('invalid_success', 'success must be true or false');
  const size = Number(r.sms_size);
  return {
    provider: 'aliyun',
    phone: mobile(text(r, 'phone_number', 32)),
    delivered: r.success,
    code: optionalText(r, 'err_code', 64) ?? (r.success ? 'DELIVERED' : 'UNKNOWN'),
    description: optionalText(r, 'err_msg', 256),
    reportedAt: beijingTime(r.report_time, 'report_time'),
    sentAt: r.send_time === undefined ? undefined : beijingTime(r.send_time, 'send_time'),
    messageId: optionalText(r, 'biz_id', 128),
    outId: optionalText(r, 'out_id', 256),
    segments: Number.isInteger(size) && size > 0 ? size : undefined,
  };
}

/** One SmsUp item: `{phone_number, content, send_time, dest_code, sequence_id[, sign_name]}`. */
export function aliyunReply(raw: unknown): SmsReply {
  const r = record(raw);
  return {
    provider: 'aliyun',
    phone: mobile(text(r, 'phone_number', 32)),
    text: text(r, 'content', 1024),
    at: beijingTime(r.send_time, 'send_time'),
    signName: optionalText(r, 'sign_name', 64),
    extension: optionalText(r, 'dest_code', 32),
    replyId: optionalText(r, 'sequence_id', 64),
  };
}

interface SendDetail {
  PhoneNum?: string;
  /** 1 waiting for the carrier, 2 failed, 3 delivered. */
  SendStatus?: number;
  ErrCode?: string;
  SendDate?: string;
  ReceiveDate?: string;
  OutId?: string;
}

interface QuerySendDetailsReply {
  Code: string;
  TotalCount?: number;
  SmsSendDetailDTOs?: { SmsSendDetailDTO?: SendDetail[] };
}

const PAGE = 50;
const DAY_MS = 86_400_000;

/** Each Beijing day from `fromMs` to `toMs`, as yyyyMMdd. */
export function beijingDays(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  const first = Math.floor((fromMs + SHANGHAI_OFFSET_MS) / DAY_MS);
  const last = Math.floor((toMs + SHANGHAI_OFFSET_MS) / DAY_MS);
  for (let d = first; d <= last; d++) days.push(new Date(d * DAY_MS).toISOString().slice(0, 10).replace(/-/g, ''));
  return days;
}

function timeOr(raw: string | undefined, fallback: number): number {
  try {
    return raw ? beijingTime(raw, 'time') : fallback;
  } catch {
    return fallback;
  }
}

function recordOf(d: SendDetail, day: string): DeliveryRecord {
  const sentAt = timeOr(d.SendDate, beijingTime(`${day}000000`, 'day'));
  const status = d.SendStatus === 3 ? 'delivered' : d.SendStatus === 2 ? 'undelivered' : 'pending';
  return {
    outId: d.OutId || undefined,
    status,
    code: d.ErrCode || status,
    at: status === 'pending' ? sentAt : timeOr(d.ReceiveDate, sentAt),
  };
}

export interface AliyunLookupOptions {
  credentials: CredentialsProvider;
  endpoint?: string;
  timeoutMs?: number;
}

/** QuerySendDetails: every message Alibaba took for a number on a day, waiting ones included. */
export class AliyunDeliveryLookup implements DeliveryLookup {
  readonly provider = 'aliyun';
  readonly listsEverySend = true;
  readonly echoesOutId = true;
  /** QuerySendDetails: 5,000 a second per account. */
  readonly maxQps = 5000;
  private readonly client: RPCClient;

  constructor(private readonly o: AliyunLookupOptions) {
    this.client = alibabaRpcClient(o.credentials, o.endpoint ?? 'https://dysmsapi.aliyuncs.com', '2017-05-25');
  }

  async recordsOf(phone: string, fromMs: number, toMs: number): Promise<DeliveryRecord[]> {
    const national = nationalNumber(phone);
    const records: DeliveryRecord[] = [];
    for (const day of beijingDays(fromMs, toMs)) {
      for (let page = 1; ; page++) {
        const reply = await this.query({ PhoneNumber: national, SendDate: day, PageSize: String(PAGE), CurrentPage: String(page) });
        const details = reply.SmsSendDetailDTOs?.SmsSendDetailDTO ?? [];
        records.push(...details.map((d) => recordOf(d, day)));
        if (details.length < PAGE || page * PAGE >= (reply.TotalCount ?? 0)) break;
      }
    }
    return records;
  }

  private async query(params: Record<string, string>): Promise<QuerySendDetailsReply> {
    try {
      return await this.client.request<QuerySendDetailsReply>('QuerySendDetails', params, {
        method: 'POST',
        timeout: this.o.timeoutMs ?? 3000,
      });
    } catch (err) {
      const e = err as { code?: string; message?: string; data?: { Code?: string; Message?: string } };
      const code = e.data?.Code ?? (typeof e.code === 'string' ? e.code : 'network_error');
      throw new SmsError(
        code,
        classifyAliyunError(e.data?.Code ?? code),
        `Alibaba QuerySendDetails failed: ${e.data?.Message ?? e.message ?? String(err)}`,
        { cause: err },
      );
    }
  }
}
