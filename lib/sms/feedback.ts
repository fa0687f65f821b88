/**
 * What the SMS providers tell us back, in one shape whichever provider said it: delivery reports
 * and replies pushed to our callbacks (aliyunFeedback.ts, tencentFeedback.ts parse each
 * provider's documented JSON), and the delivery records their query APIs answer with.
 */
import { checkEach, Invalid, isObject } from '#lib/contractCheck';
import { SHANGHAI_OFFSET_MS } from '#lib/clock';
import { mainlandMobile } from '#lib/phone';

export type FeedbackProvider = 'aliyun' | 'tencent';

/** A carrier's verdict on one message, pushed by the provider. */
export interface DeliveryReport {
  provider: FeedbackProvider;
  /** E.164. */
  phone: string;
  delivered: boolean;
  /** The carrier's status code: `DELIVERED` / `DELIVRD`, or the failure's (`MK:0001`, `UNDELIV`…). */
  code: string;
  description?: string;
  /** When the carrier reported it (Tencent: when the phone received it), epoch ms. */
  reportedAt: number;
  sentAt?: number;
  /** The provider's id of the send: Alibaba `biz_id` (one per request), Tencent `sid` (one per number). */
  messageId?: string;
  /** Our id of the send, when the provider echoes it (Alibaba `out_id`). */
  outId?: string;
  /** Billed segments, when the provider says (Alibaba `sms_size`). */
  segments?: number;
}

/** A person's reply to a message. */
export interface SmsReply {
  provider: FeedbackProvider;
  /** E.164. */
  phone: string;
  text: string;
  /** When it was sent (as the carrier or provider timed it), epoch ms. */
  at: number;
  /** What the provider gives of the message answered: the sign name, the extension code. */
  signName?: string;
  extension?: string;
  /** The provider's id of the reply (Alibaba `sequence_id`). */
  replyId?: string;
}

/** A push split into what could be read and what could not (each skipped alone, with why). */
export interface Parsed<T> {
  items: T[];
  malformed: { index: number; code: string; message: string }[];
}

/** Each item parsed alone; a bad one is set aside with its reason. */
export function parseEach<T>(items: unknown[], parse: (raw: unknown) => T): Parsed<T> {
  const { valid, rejected } = checkEach(items, parse, () => null);
  return { items: valid.map((v) => v.value), malformed: rejected.map(({ index, code, message }) => ({ index, code, message })) };
}

export const record = (raw: unknown): Record<string, unknown> => {
  if (!isObject(raw)) throw new Invalid('not_an_object', 'item must be a JSON object');
  return raw;
};

export function text(r: Record<string, unknown>, field: string, max = 512): string {
  const v = r[field];
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || v === '' || v.length > max)
    throw new Invalid(`invalid_${field}`, `${field} must be a string of 1-${max} characters`);
  return v;
}

export function optionalText(r: Record<string, unknown>, field: string, max = 512): string | undefined {
  return r[field] === undefined || r[field] === null || r[field] === '' ? undefined : text(r, field, max);
}

/** A mainland mobile in E.164, from any way a provider writes it (`13812345678`, `+86…`, `86…`). */
export function mobile(raw: string, countryCode = '86'): string {
  const national = countryCode.replace(/^\+/, '') === '86' ? mainlandMobile(raw) : undefined;
  if (!national) throw new Invalid('invalid_phone', 'not a mainland mobile number');
  return `+86${national}`;
}

/** Provider times without a zone (`2017-09-01 00:00:00`, `20170901000000`) are Beijing time. */
export function beijingTime(raw: unknown, field: string): number {
  const m = typeof raw === 'string' ? /^(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})$/.exec(raw.trim()) : null;
  const ms = m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - SHANGHAI_OFFSET_MS : NaN;
  if (!Number.isFinite(ms)) throw new Invalid(`invalid_${field}`, `${field} must be a time such as 2017-09-01 00:00:00 (Beijing)`);
  return ms;
}

/** What a provider's query answers of one message sent to a number. */
export interface DeliveryRecord {
  /** Our id of the send, when the provider keeps it (Alibaba `OutId`, Tencent `SessionContext`). */
  outId?: string;
  messageId?: string;
  /** `pending`: the provider took it, the carrier has not said yet. */
  status: 'delivered' | 'undelivered' | 'pending';
  code: string;
  description?: string;
  /** When the carrier reported it, or (pending) when it was sent, epoch ms. */
  at: number;
}

/** A provider's query API for the messages sent to one number. */
export interface DeliveryLookup {
  readonly provider: FeedbackProvider;
  /**
   * Whether the provider lists every message it took, with or without a carrier status
   * (Alibaba's QuerySendDetails does), so that one it does not list never reached it. Tencent
   * lists only messages with a status, so its silence proves nothing until the carriers' time is up.
   */
  readonly listsEverySend: boolean;
  /** Whether its records carry our id of each send (Tencent echoes SessionContext only where that was enabled). */
  readonly echoesOutId: boolean;
  /** The query's own rate limit, requests a second. */
  readonly maxQps: number;
  /** The records of messages sent to `phone` (E.164) from `fromMs` to `toMs` (the caller's now). */
  recordsOf(phone: string, fromMs: number, toMs: number): Promise<DeliveryRecord[]>;
}
