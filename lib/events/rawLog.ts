/**
 * The raw event log. Compaction expands the batch records ingest appended (batchRecord.ts) into
 * gzip JSON lines under `raw/events/dt=YYYY-MM-DD/hh=HH/` (Asia/Shanghai, by receive time), which
 * `train` reads. It reads which events were valid from the record, never from today's
 * validator, so a deploy that changes the event contract while records are pending neither
 * drops nor doubles an event. Expanding off the request path keeps ingest's hot path short.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { shanghaiDateHour } from '#lib/clock';
import { RAW_EVENTS_PREFIX } from '#lib/objectStore/keys';
import { decodeBatchRecord } from './batchRecord';
import { validateEvents, type ClientEvent, type RawEvent } from './contract';

/** An event as the client sent it, less the optional ids it sent as null (the contract reads null as absent). */
const withoutNulls = (event: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(event).filter(([, v]) => v !== null)) as ClientEvent;

/** The events a record stored: those ingest found valid, less those the event log flagged as duplicates, in order. */
export function rawEventsOf(record: Buffer, duplicate: boolean[]): RawEvent[] {
  const { meta, events } = decodeBatchRecord(record);
  // Records from before `valid` was stored are read with today's contract, as they always were.
  const valid = meta.valid ?? validateEvents(events).valid.map((v) => v.index);
  return valid
    .filter((_, i) => !duplicate[i])
    .map((index) => withoutNulls(events[index]))
    .map((event) => ({
      app_id: meta.app_id,
      ...event,
      event_time: event.ts + meta.skew_ms,
      received_at: meta.received_at,
      client_ip: meta.client_ip,
    }));
}

/** The folder of the partition an event received at `ms` belongs to. */
export function rawPartition(ms: number): string {
  const { date, hour } = shanghaiDateHour(ms);
  return `${RAW_EVENTS_PREFIX}dt=${date}/hh=${hour}/`;
}

export const encodeRawObject = (events: RawEvent[]): Buffer => gzipSync(`${events.map((e) => JSON.stringify(e)).join('\n')}\n`);

export function decodeRawObject(body: Buffer): RawEvent[] {
  return gunzipSync(body)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as RawEvent);
}
