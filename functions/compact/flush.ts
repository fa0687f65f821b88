/**
 * Moves what ingest made durable in the event log into the raw log in the object store.
 * Idempotent: an object's key comes from the first log entry of its chunk, and a crashed
 * flush gets the same unacked entries back, so a retry rewrites the same objects and an
 * event never lands twice.
 */
import type { EventLog } from '../../lib/eventLog';
import type { Logger } from '../../lib/log';
import type { ObjectStore } from '../../lib/objectStore';
import { encodeRawObject, rawPartition } from '../../lib/rawLog';

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

/** Ingest writes received_at into every line; read it without parsing the whole line. */
function receivedAtOf(line: string): number {
  const m = /"received_at":(\d+)/.exec(line);
  return m ? Number(m[1]) : (JSON.parse(line) as { received_at: number }).received_at;
}

export async function flushEventLog(deps: FlushDeps, budgetMs = 50_000): Promise<FlushResult> {
  const started = Date.now();
  const result: FlushResult = { entries: 0, events: 0, objects: [] };
  while (Date.now() - started < budgetMs) {
    const entries = await deps.log.pending(CHUNK_ENTRIES);
    if (entries.length === 0) break;
    const chunkId = entries[0].id;
    const byPartition = new Map<string, string[]>();
    for (const line of entries.flatMap((e) => e.lines)) {
      const partition = rawPartition(receivedAtOf(line));
      const lines = byPartition.get(partition);
      if (lines) lines.push(line);
      else byPartition.set(partition, [line]);
    }
    const keys = [...byPartition.keys()].map((p) => `${p}${chunkId}.jsonl.gz`);
    await Promise.all([...byPartition.values()].map((lines, i) => deps.objects.put(keys[i], encodeRawObject(lines), { contentType: 'application/gzip' })));
    await deps.log.ack(entries.map((e) => e.id));
    result.entries += entries.length;
    result.events += entries.reduce((n, e) => n + e.lines.length, 0);
    result.objects.push(...keys);
  }
  if (result.entries > 0) deps.logger.info('event log flushed', { entries: result.entries, events: result.events, objects: result.objects.length });
  return result;
}
