/**
 * The raw event log. Ingest stores each accepted request as a batch record: what the
 * server decided (app, receive time, client IP, clock skew, which events were valid) and
 * the request body byte for byte, as the app signed it. Compaction reads which events were
 * valid from the record, never from today's validator, so a deploy that changes the event
 * contract while records are pending neither drops nor doubles an event. `compact` expands records into
 * gzip JSON lines under `raw/events/dt=YYYY-MM-DD/hh=HH/` (Asia/Shanghai, by receive time),
 * which `train` reads. Expanding off the request path keeps ingest's hot path short.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { shanghaiDateHour } from './clock';
import { AppError, badRequest } from './errors';
import { MAX_EVENTS, validateEvents, type ClientEvent, type RawEvent } from './eventContract';

export const RAW_EVENTS_PREFIX = 'raw/events/';

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
  return Buffer.concat([Buffer.from(JSON.stringify(meta) + '\n'), body]);
}

export function decodeBatchMeta(record: Buffer): BatchMeta {
  return JSON.parse(record.subarray(0, record.indexOf(10)).toString('utf8')) as BatchMeta;
}

/** An event as the client sent it, less the optional ids it sent as null (the contract reads null as absent). */
const withoutNulls = (event: Record<string, unknown>) => Object.fromEntries(Object.entries(event).filter(([, v]) => v !== null)) as ClientEvent;

/** The events a record stored: those ingest found valid, less those the event log flagged as duplicates, in order. */
export function rawEventsOf(record: Buffer, duplicate: boolean[]): RawEvent[] {
  const newline = record.indexOf(10);
  const meta = JSON.parse(record.subarray(0, newline).toString('utf8')) as BatchMeta;
  const events = batchEventsOf(record.subarray(newline + 1)) as Record<string, unknown>[];
  // Records from before `valid` was stored are read with today's contract, as they always were.
  const valid = meta.valid ?? validateEvents(events).valid.map((v) => v.index);
  return valid
    .filter((_, i) => !duplicate[i])
    .map((index) => withoutNulls(events[index]))
    .map((event) => ({ app_id: meta.app_id, ...event, event_time: event.ts + meta.skew_ms, received_at: meta.received_at, client_ip: meta.client_ip }));
}

/** The folder of the partition an event received at `ms` belongs to. */
export function rawPartition(ms: number): string {
  const { date, hour } = shanghaiDateHour(ms);
  return `${RAW_EVENTS_PREFIX}dt=${date}/hh=${hour}/`;
}

export const encodeRawObject = (events: RawEvent[]): Buffer => gzipSync(events.map((e) => JSON.stringify(e)).join('\n') + '\n');

export function decodeRawObject(body: Buffer): RawEvent[] {
  return gunzipSync(body)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as RawEvent);
}
