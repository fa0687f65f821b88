/**
 * The batch record: what ingest appends to the event log for each accepted request, and
 * compaction reads back. One JSON line of what the server decided (app, receive time, client IP,
 * clock skew, which events were valid), then the request body byte for byte, as the app signed it.
 */
import { AppError, badRequest } from '#lib/errors';
import { MAX_EVENTS } from './contract';

export interface BatchMeta {
  app_id: string;
  received_at: number;
  client_ip: string;
  /** Server time minus the client's signing time (ms). */
  skew_ms: number;
  /**
   * Body indices of the events ingest found valid, in the order of the event log's duplicate
   * flags. Absent only in records appended before it was stored.
   */
  valid?: number[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The events of a request body: the one reading of a body, used by ingest to validate it and by
 * compaction to expand what ingest stored, so both always see the same events (a byte-order mark
 * is dropped by both; bytes that are not UTF-8 are refused before anything is stored).
 */
export function batchEventsOf(body: Buffer): unknown[] {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw badRequest('invalid_utf8', 'body is not valid UTF-8');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw badRequest('invalid_json', 'body is not valid JSON');
  }
  const events = (doc as { events?: unknown } | null)?.events;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Array.isArray(events)) {
    throw badRequest('missing_events', 'body must be a JSON object with an "events" array');
  }
  if (events.length > MAX_EVENTS) throw new AppError(413, 'too_many_events', `at most ${MAX_EVENTS} events per batch`);
  return events;
}

/** A batch record: one JSON line of metadata, then the body exactly as received. */
export function encodeBatchRecord(meta: BatchMeta, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${JSON.stringify(meta)}\n`), body]);
}

export function decodeBatchMeta(record: Buffer): BatchMeta {
  return JSON.parse(record.subarray(0, record.indexOf(10)).toString('utf8')) as BatchMeta;
}

/** The record's metadata and the events of its body, read as ingest read them. */
export function decodeBatchRecord(record: Buffer): { meta: BatchMeta; events: Record<string, unknown>[] } {
  const newline = record.indexOf(10);
  return { meta: decodeBatchMeta(record), events: batchEventsOf(record.subarray(newline + 1)) as Record<string, unknown>[] };
}
