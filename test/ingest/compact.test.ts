/** compact: the event log becomes gzip JSON-lines objects, partitioned by Beijing date and hour, exactly once. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flushEventLog } from '../../functions/compact/flush';
import { LocalJournal } from '../../lib/eventLog/localJournal';
import type { EventLog, LogEntry } from '../../lib/eventLog/port';
import { createLogger } from '../../lib/log';
import { LocalObjectStore } from '../../lib/objectStore/localStore';
import { listAll } from '../../lib/objectStore/port';
import { decodeRawObject, encodeBatchRecord, rawPartition } from '../../lib/rawLog';

const quiet = createLogger({}, () => undefined);
/** Appends a batch record, as ingest does, of click events received at `receivedAt`. */
const appendBatch = (log: EventLog, ids: string[], receivedAt: number) => {
  const body = Buffer.from(JSON.stringify({ events: ids.map((event_id) => ({ event_id, type: 'click', user_id: 'u1', ts: receivedAt, item_id: 'sku' })) }));
  return log.append(ids.map((id) => `demo:${id}`), encodeBatchRecord({ app_id: 'demo', received_at: receivedAt, client_ip: '1.2.3.4', skew_ms: 5 }, body), 60);
};

let dir: string;
let journal: LocalJournal;
let objects: LocalObjectStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-compact-'));
  journal = new LocalJournal(path.join(dir, 'journal'));
  objects = new LocalObjectStore(path.join(dir, 'oss'), 'mkt-data');
});
afterEach(async () => {
  await journal.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rawLog(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for await (const o of listAll(objects, 'raw/events/')) out[o.key] = decodeRawObject((await objects.get(o.key))!).map((e) => e.event_id);
  return out;
}

describe('compact', () => {
  it('expands batch records into raw-log lines, each hour of Beijing time in its own partition', async () => {
    const nine = Date.parse('2026-11-21T09:59:59+08:00');
    const ten = Date.parse('2026-11-21T10:00:00+08:00');
    await appendBatch(journal, ['a', 'b'], nine);
    await appendBatch(journal, ['c', 'b'], ten);
    const result = await flushEventLog({ log: journal, objects, logger: quiet });
    expect(result).toMatchObject({ entries: 2, events: 3 });
    expect(rawPartition(nine)).toBe('raw/events/dt=2026-11-21/hh=09/');
    expect(await rawLog()).toEqual({
      'raw/events/dt=2026-11-21/hh=09/000000000001.jsonl.gz': ['a', 'b'],
      'raw/events/dt=2026-11-21/hh=10/000000000001.jsonl.gz': ['c'],
    });
    expect(await journal.pending(10)).toEqual([]);
    const stored = decodeRawObject((await objects.get('raw/events/dt=2026-11-21/hh=10/000000000001.jsonl.gz'))!);
    expect(stored).toEqual([{ app_id: 'demo', event_id: 'c', type: 'click', user_id: 'u1', ts: ten, item_id: 'sku', event_time: ten + 5, received_at: ten, client_ip: '1.2.3.4' }]);
    expect((await flushEventLog({ log: journal, objects, logger: quiet })).entries).toBe(0);
  });

  it('a flush that dies before acking is redone into the same objects: nothing twice', async () => {
    const t = Date.parse('2026-11-21T12:00:00+08:00');
    await appendBatch(journal, ['x', 'y'], t);
    const crashing: EventLog = {
      describe: 'crashes on ack',
      append: (k, r, s, a) => journal.append(k, r, s, a),
      pending: (n): Promise<LogEntry[]> => journal.pending(n),
      ack: async () => {
        throw new Error('killed');
      },
      close: async () => undefined,
    };
    await expect(flushEventLog({ log: crashing, objects, logger: quiet })).rejects.toThrow('killed');
    await appendBatch(journal, ['z'], t);
    await flushEventLog({ log: journal, objects, logger: quiet });
    const all = Object.values(await rawLog()).flat().sort();
    expect(all).toEqual(['x', 'y', 'z']);
  });
});
