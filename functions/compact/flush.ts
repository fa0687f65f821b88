/**
 * Moves what ingest made durable in the event log into the raw log in the object store.
 * Idempotent: an object's key comes from the first log entry of its chunk, and a crashed
 * flush gets the same unacked entries back, so a retry rewrites the same objects and an
 * event never lands twice. A record that cannot be read is set aside under `raw/unreadable/`
 * rather than thrown: retrying cannot fix it, and it would block every later flush.
 */
import type { EventLog, LogEntry } from '#lib/eventLog';
import type { Logger } from '#lib/log';
import type { ObjectStore } from '#lib/objectStore';
import { decodeBatchMeta } from '#lib/events/batchRecord';
import { encodeRawObject, rawEventsOf, rawPartition } from '#lib/events/rawLog';
import type { RawEvent } from '#lib/events/contract';
import { UNREADABLE_RECORDS_PREFIX } from '#lib/objectStore/keys';

export interface FlushDeps {
  log: EventLog;
  objects: ObjectStore;
  logger: Logger;
}

export interface FlushResult {
  entries: number;
  events: number;
  objects: string[];
}

const CHUNK_ENTRIES = 1000;

export async function flushEventLog(deps: FlushDeps, budgetMs = 50_000): Promise<FlushResult> {
  const started = Date.now();
  const result: FlushResult = { entries: 0, events: 0, objects: [] };
  while (Date.now() - started < budgetMs) {
    const entries = await deps.log.pending(CHUNK_ENTRIES);
    if (entries.length === 0) break;
    const chunkId = entries[0].id;
    const byPartition = new Map<string, RawEvent[]>();
    const unreadable: LogEntry[] = [];
    for (const entry of entries) {
      let partition: string, stored: RawEvent[];
      try {
        partition = rawPartition(decodeBatchMeta(entry.record).received_at);
        stored = rawEventsOf(entry.record, entry.duplicate);
      } catch (err) {
        deps.logger.error('unreadable event-log record set aside', { entry: entry.id, err });
        unreadable.push(entry);
        continue;
      }
      const events = byPartition.get(partition) ?? [];
      events.push(...stored);
      byPartition.set(partition, events);
    }
    const keys = [...byPartition.keys()].map((p) => `${p}${chunkId}.jsonl.gz`);
    await Promise.all([
      ...[...byPartition.values()].map((events, i) =>
        deps.objects.put(keys[i], encodeRawObject(events), { contentType: 'application/gzip' }),
      ),
      ...unreadable.map((e) => deps.objects.put(`${UNREADABLE_RECORDS_PREFIX}${e.id}.bin`, e.record)),
    ]);
    await deps.log.ack(entries.map((e) => e.id));
    result.entries += entries.length;
    result.events += [...byPartition.values()].reduce((n, events) => n + events.length, 0);
    result.objects.push(...keys);
  }
  if (result.entries > 0)
    deps.logger.info('event log flushed', { entries: result.entries, events: result.events, objects: result.objects.length });
  return result;
}
