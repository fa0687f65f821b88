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
import { decodeRawObject, rawPartition } from '../../lib/rawLog';

const quiet = createLogger({}, () => undefined);
const line = (id: string, receivedAt: number) => ({ key: id, line: JSON.stringify({ event_id: id, received_at: receivedAt }) });

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
  it('writes each hour of Beijing time to its own partition', async () => {
    const nine = Date.parse('2026-11-21T09:59:59+08:00');
    const ten = Date.parse('2026-11-21T10:00:00+08:00');
    await journal.append([line('a', nine), line('b', nine)], 60);
    await journal.append([line('c', ten)], 60);
    const result = await flushEventLog({ log: journal, objects, logger: quiet });
    expect(result).toMatchObject({ entries: 2, events: 3 });
    expect(rawPartition(nine)).toBe('raw/events/dt=2026-11-21/hh=09/');
    expect(await rawLog()).toEqual({
      'raw/events/dt=2026-11-21/hh=09/000000000001.jsonl.gz': ['a', 'b'],
      'raw/events/dt=2026-11-21/hh=10/000000000001.jsonl.gz': ['c'],
    });
    expect(await journal.pending(10)).toEqual([]);
    expect((await flushEventLog({ log: journal, objects, logger: quiet })).entries).toBe(0);
  });

  it('a flush that dies before acking is redone into the same objects: nothing twice', async () => {
    const t = Date.parse('2026-11-21T12:00:00+08:00');
    await journal.append([line('x', t), line('y', t)], 60);
    const crashing: EventLog = {
      describe: 'crashes on ack',
      append: (e, s) => journal.append(e, s),
      pending: (n): Promise<LogEntry[]> => journal.pending(n),
      ack: async () => {
        throw new Error('killed');
      },
      close: async () => undefined,
    };
    await expect(flushEventLog({ log: crashing, objects, logger: quiet })).rejects.toThrow('killed');
    await journal.append([line('z', t)], 60);
    await flushEventLog({ log: journal, objects, logger: quiet });
    const all = Object.values(await rawLog()).flat().sort();
    expect(all).toEqual(['x', 'y', 'z']);
  });
});
