/**
 * Tencent Cloud SMS feedback: the callbacks (短信下发状态通知, a JSON array of reports; 短信回复,
 * one reply object; each answered `{"result":0,"errmsg":"OK"}`), and PullSmsSendStatusByPhoneNumber
 * (2021-01-11) through `tencentcloud-sdk-nodejs` for the statuses of one number's messages.
 */
import type { sms } from 'tencentcloud-sdk-nodejs/tencentcloud/services/sms';
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
import { SmsError } from './port';
import { classifyTencentError, tencentSmsClient, type TencentSmsOptions } from './tencentSms';

/** What Tencent expects back for a callback it may stop re-sending. */
export const TENCENT_ACK = { result: 0, errmsg: 'OK' };
/** A callback we could not take now (our store is down). */
export const TENCENT_RETRY = { result: 1, errmsg: 'retry later' };

const countryOf = (r: Record<string, unknown>) => optionalText(r, 'nationcode', 8) ?? '86';

/** One status report: `{user_receive_time, nationcode, mobile, report_status, errmsg, description, sid}`. */
export function tencentReport(raw: unknown): DeliveryReport {
  const r = record(raw);
  const status = text(r, 'report_status', 16).toUpperCase();
  if (status !== 'SUCCESS' && status !== 'FAIL') throw new Invalid('invalid_report_status', 'report_status must be SUCCESS or FAIL');
  return {
    provider: 'tencent',
    phone: mobile(text(r, 'mobile', 32), countryOf(r)),
    delivered: status === 'SUCCESS',
    code: optionalText(r, 'errmsg', 64) ?? status,
    description: optionalText(r, 'description', 256),
    reportedAt: beijingTime(r.user_receive_time, 'user_receive_time'),
    messageId: text(r, 'sid', 128),
  };
}

/** One reply: `{extend, mobile, nationcode, sign, text, time}` (time in Unix seconds). */
export function tencentReply(raw: unknown): SmsReply {
  const r = record(raw);
  const seconds = typeof r.time === 'string' && /^\d+$/.test(r.time) ? Number(r.time) : r.time;
  if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds <= 0)
    throw new Invalid('invalid_time', 'time must be Unix seconds');
  return {
    provider: 'tencent',
    phone: mobile(text(r, 'mobile', 32), countryOf(r)),
    text: text(r, 'text', 1024),
    at: seconds * 1000,
    signName: optionalText(r, 'sign', 64),
    extension: optionalText(r, 'extend', 32),
  };
}

export type TencentLookupOptions = Omit<TencentSmsOptions, 'signName'>;

/** Tencent keeps statuses for 7 days. */
const KEPT_MS = 7 * 86_400_000 - 60_000;

/** PullSmsSendStatusByPhoneNumber: the messages to a number that have a carrier status (at most 100). */
export class TencentDeliveryLookup implements DeliveryLookup {
  readonly provider = 'tencent';
  readonly listsEverySend = false;
  readonly echoesOutId = false;
  /** PullSmsSendStatusByPhoneNumber: 20 a second. */
  readonly maxQps = 20;
  private readonly client: InstanceType<typeof sms.v20210111.Client>;

  constructor(private readonly o: TencentLookupOptions) {
    this.client = tencentSmsClient(o);
  }

  async recordsOf(phone: string, fromMs: number, toMs: number): Promise<DeliveryRecord[]> {
    let reply;
    try {
      reply = await this.client.PullSmsSendStatusByPhoneNumber({
        PhoneNumber: phone,
        SmsSdkAppId: this.o.sdkAppId,
        BeginTime: Math.floor(Math.max(fromMs, toMs - KEPT_MS) / 1000),
        EndTime: Math.ceil(toMs / 1000),
        Offset: 0,
        Limit: 100,
      });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new SmsError(
        e.code ?? 'network_error',
        classifyTencentError(e.code),
        `Tencent PullSmsSendStatusByPhoneNumber failed: ${e.message ?? String(err)}`,
        { cause: err },
      );
    }
    return (reply.PullSmsSendStatusSet ?? []).map((s) => {
      const status = s.ReportStatus === 'SUCCESS' ? 'delivered' : s.ReportStatus === 'FAIL' ? 'undelivered' : 'pending';
      return {
        outId: s.SessionContext || undefined,
        messageId: s.SerialNo || undefined,
        status,
        code: s.ReportStatus || 'pending',
        description: s.Description,
        at: (s.UserReceiveTime ?? 0) * 1000,
      };
    });
  }
}
