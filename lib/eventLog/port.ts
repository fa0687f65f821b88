/**
 * The event log port: where ingest makes accepted batches durable before it answers, and
 * where `compact` picks them up to write the raw log in the object store. Appending
 * de-duplicates atomically, so an event id is stored once however often a client retries.
 */

export interface LogEntry {
  /** Opaque, ordered id. */
  id: string;
  /** The batch record as appended (lib/events/batchRecord.ts). */
  record: Buffer;
  /** Per de-duplication key of the append: whether that event was a duplicate (not stored). */
  duplicate: boolean[];
}

/**
 * What a batch must pass before anything of it is stored: a replay guard (each signed
 * request's nonce is admitted once, when it has one) and a per-app quota (a counter that lives
 * `quotaSeconds` from its first use). Checked in the same atomic step as the append.
 */
export interface Admission {
  /** Absent for callers without a signature nonce (token calls). */
  nonce?: string;
  nonceSeconds: number;
  quota: string;
  cost: number;
  limit: number;
  quotaSeconds: number;
}

export type Refusal = 'replayed_nonce' | 'over_quota';

/** Either refused (nothing stored, nothing claimed) or, per key, whether it was a duplicate. */
export type AppendResult = { refused: Refusal } | { refused?: undefined; duplicate: boolean[] };

export interface EventLog {
  readonly describe: string;
  /**
   * Admits the batch (when an admission is given), then atomically claims each key (unique
   * per event, e.g. `${appId}:${event_id}`) for `dedupeSeconds` and, if any was new, appends
   * the record with the duplicate flags. Keys seen within the last `dedupeSeconds` (an
   * adapter may remember them longer), or earlier in the same call, are duplicates.
   * Resolves once durable.
   */
  append(keys: string[], record: Buffer, dedupeSeconds: number, admission?: Admission): Promise<AppendResult>;
  /**
   * Entries not yet acknowledged, oldest first. Entries handed out before but never acked
   * (a crashed flush) come back first and in the same order, so a retried flush rewrites
   * the same objects.
   */
  pending(limit: number): Promise<LogEntry[]>;
  /** Marks entries as flushed to the raw log; they will not be handed out again. */
  ack(ids: string[]): Promise<void>;
  close(): Promise<void>;
}

/** Dedupe window required by the ingest contract. */
export const DEDUPE_SECONDS = 24 * 3600;

export const encodeFlags = (flags: boolean[]) => flags.map((f) => (f ? '1' : '0')).join('');
export const decodeFlags = (text: string) => [...text].map((c) => c === '1');
