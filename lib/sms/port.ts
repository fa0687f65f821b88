/** The SMS port: text messages to people, one or a batch at a time (Alibaba Cloud or Tencent Cloud SMS in production). */
import { maskPhones } from '#lib/log';
import { mainlandMobile } from '#lib/phone';

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

/** One person's message in a batch; the template is the batch's. */
export interface BatchMessage {
  phone: string;
  params: Record<string, string>;
  outId: string;
}

export interface SmsBatch {
  templateId: string;
  /** The approved signature to send under; the sender's own (MKT_SMS_SIGN_NAME) when absent. */
  signName?: string;
  messages: BatchMessage[];
}

export type SendOutcome =
  | { outId: string; status: 'sent'; messageId: string }
  /** `detail`: what the provider or the network said, for the log (never the number). */
  | { outId: string; status: 'failed'; failure: SmsFailure; code: string; detail?: string };

export interface SendBatchOptions {
  /** Awaited before each request to the provider (one batch may take several): where pacing waits. */
  beforeRequest?: () => Promise<void>;
}

export interface SmsSender {
  readonly describe: string;
  readonly provider: SmsReceipt['provider'];
  /** The most messages `sendBatch` takes at once. */
  readonly maxBatch: number;
  send(message: SmsMessage): Promise<SmsReceipt>;
  /**
   * One outcome per message, in the batch's order. A provider's answer never throws: each
   * failure is an outcome with its class. A batch larger than `maxBatch` is a bug and throws.
   */
  sendBatch(batch: SmsBatch, options?: SendBatchOptions): Promise<SendOutcome[]>;
}

/** The 11-digit national number, or an SmsError for anything that is not a mainland mobile. */
export function nationalNumber(phone: string): string {
  const national = mainlandMobile(phone);
  if (!national)
    throw new SmsError(
      'invalid_phone',
      'permanent',
      `not a mainland mobile number (${phone.length} characters, ending ${phone.slice(-2)})`,
    );
  return national;
}

/** A batch message with a valid number: its national form and its place in the batch. */
export interface Addressed extends BatchMessage {
  national: string;
  index: number;
}

export interface PreparedBatch {
  /** Filled in by the adapter; an invalid number's outcome is already there. */
  outcomes: SendOutcome[];
  /** The messages to send. */
  valid: Addressed[];
}

/**
 * Checks the batch's size (a bug when too large) and its numbers: an invalid number gets its
 * own permanent outcome and is never sent, so it cannot cost the others their request.
 */
export function prepareBatch(batch: SmsBatch, maxBatch: number): PreparedBatch {
  if (batch.messages.length > maxBatch) {
    throw new RangeError(`a batch of ${batch.messages.length} messages is over this provider's limit of ${maxBatch}`);
  }
  const outcomes: SendOutcome[] = new Array(batch.messages.length);
  const valid: Addressed[] = [];
  batch.messages.forEach((m, index) => {
    try {
      valid.push({ ...m, national: nationalNumber(m.phone), index });
    } catch (err) {
      if (!(err instanceof SmsError)) throw err;
      outcomes[index] = { outId: m.outId, status: 'failed', failure: err.failure, code: err.code };
    }
  });
  return { outcomes, valid };
}

/** Gives every message of one request the same failure (a request-level error or no reply). */
export function failAll(outcomes: SendOutcome[], messages: Addressed[], failure: SmsFailure, code: string, detail?: string): void {
  for (const m of messages) outcomes[m.index] = { outId: m.outId, status: 'failed', failure, code, ...(detail ? { detail } : {}) };
}
