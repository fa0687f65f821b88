/**
 * The event log port: where ingest makes accepted events durable before it answers, and
 * where `compact` picks them up to write the raw log in the object store. Appending
 * de-duplicates atomically, so an event id is stored once however often a client retries.
 */

export interface LoggedEvent {
  /** De-duplication key, unique per app: `${appId}:${event_id}`. */
  key: string;
  /** The raw-log line (JSON) for this event. */
  line: string;
}

export interface LogEntry {
  /** Opaque, ordered id of the appended batch. */
  id: string;
  lines: string[];
}

export interface EventLog {
  readonly describe: string;
  /**
   * Atomically skips events whose key was appended in the last `dedupeSeconds` (or earlier
   * in this batch) and appends the rest as one entry. Returns, per event, whether it was a
   * duplicate. Resolves only once the new events are durable.
   */
  append(events: LoggedEvent[], dedupeSeconds: number): Promise<boolean[]>;
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
