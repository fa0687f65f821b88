/**
 * Sends many batches through one SMS sender: paced to the provider's request rate, with the
 * failures that are safe to resend (`retry`: throttling, system errors) resent after a backoff.
 * Nothing else is resent: `uncertain` may have gone out, `defer` and `permanent` are the caller's.
 */
import type { BatchMessage, SendOutcome, SmsBatch, SmsSender } from './port';

export interface SendAllOptions {
  /** The most provider requests a second (a Tencent batch may take one request per set of params). */
  qps: number;
  /** Resends of a message after its first `retry` failure. */
  maxRetries?: number;
  /** The first backoff; it doubles with each resend. */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  clock?: () => number;
  /** A pacer shared by several calls (a campaign run sends batch by batch); by default one paces this call alone. */
  pacer?: () => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The messages in order, cut into batches the sender takes (under `signName`, when given). */
export function batchesOf(
  sender: Pick<SmsSender, 'maxBatch'>,
  templateId: string,
  messages: BatchMessage[],
  signName?: string,
): SmsBatch[] {
  const batches: SmsBatch[] = [];
  for (let i = 0; i < messages.length; i += sender.maxBatch)
    batches.push({ templateId, signName, messages: messages.slice(i, i + sender.maxBatch) });
  return batches;
}

/**
 * Spaces requests 1000/qps ms apart (rounded up to whole ms, so float error cannot squeeze a
 * window), so no second holds more than qps of them; no burst after an idle spell, unlike a full token bucket.
 */
export function requestPacer(qps: number, clock: () => number, sleep: (ms: number) => Promise<void>): () => Promise<void> {
  if (!(qps > 0)) throw new RangeError(`qps must be positive, got ${qps}`);
  const interval = Math.ceil(1000 / qps);
  let nextAt = -Infinity;
  return async () => {
    const wait = nextAt - clock();
    if (wait > 0) await sleep(wait);
    nextAt = Math.max(clock(), nextAt) + interval;
  };
}

/** Every message's final outcome, in the order of the batches and their messages. */
export async function sendAll(sender: SmsSender, batches: SmsBatch[], options: SendAllOptions): Promise<SendOutcome[]> {
  const { maxRetries = 3, baseDelayMs = 200, sleep = realSleep, clock = Date.now } = options;
  const oversized = batches.find((b) => b.messages.length > sender.maxBatch);
  // Checked before the first send, so a bad call sends nothing rather than part of the list.
  if (oversized)
    throw new RangeError(`a batch of ${oversized.messages.length} messages is over ${sender.describe}'s limit of ${sender.maxBatch}`);
  const beforeRequest = options.pacer ?? requestPacer(options.qps, clock, sleep);
  const all: SendOutcome[] = [];
  for (const batch of batches) {
    const outcomes = await sender.sendBatch(batch, { beforeRequest });
    for (let attempt = 1; attempt <= maxRetries; attempt++) {
      const again = batch.messages.map((_m, i) => i).filter((i) => isRetryable(outcomes[i]));
      if (again.length === 0) break;
      await sleep(baseDelayMs * 2 ** (attempt - 1));
      const retried = await sender.sendBatch({ ...batch, messages: again.map((i) => batch.messages[i]) }, { beforeRequest });
      again.forEach((i, k) => (outcomes[i] = retried[k]));
    }
    all.push(...outcomes);
  }
  return all;
}

const isRetryable = (o: SendOutcome) => o.status === 'failed' && o.failure === 'retry';
