/** The SMS port: one text message to one person (Alibaba Cloud or Tencent Cloud SMS in production). */
import { maskPhones } from '#lib/log';

export interface SmsMessage {
  /** Mainland number, `13812345678` or `+8613812345678`. */
  phone: string;
  /** The provider's approved template (Alibaba `SMS_123`, Tencent numeric id). */
  templateId: string;
  /** Template variables, in the template's order (Tencent fills `{1}`, `{2}`… by position). */
  params: Record<string, string>;
  /** Our id for this send, echoed in receipts (Alibaba `OutId`, Tencent `SessionContext`). */
  outId: string;
}

export interface SmsReceipt {
  provider: 'aliyun' | 'tencent' | 'outbox';
  messageId: string;
}

/**
 * What the caller may do after a failure. SMS sends are not idempotent, so only
 * `retry` is safe to resend at once; `uncertain` (a timeout) may have been delivered.
 */
export type SmsFailure = 'retry' | 'defer' | 'permanent' | 'uncertain';

export class SmsError extends Error {
  constructor(
    readonly code: string,
    readonly failure: SmsFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(maskPhones(message), options);
    this.name = 'SmsError';
  }
}

export interface SmsSender {
  readonly describe: string;
  send(message: SmsMessage): Promise<SmsReceipt>;
}

const MAINLAND_MOBILE = /^(?:\+?86)?(1[3-9]\d{9})$/;

/** The 11-digit national number, or an SmsError for anything that is not a mainland mobile. */
export function nationalNumber(phone: string): string {
  const m = MAINLAND_MOBILE.exec(phone.replace(/[\s-]/g, ''));
  if (!m) throw new SmsError('invalid_phone', 'permanent', `not a mainland mobile number (${phone.length} characters, ending ${phone.slice(-2)})`);
  return m[1];
}
