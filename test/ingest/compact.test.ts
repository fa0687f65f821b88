/** compact: the event log becomes gzip JSON-lines objects, partitioned by Beijing date and hour, exactly once. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UNREADABLE_RECORDS_PREFIX } from '#lib/objectStore/keys';
import { flushEventLog } from '../../functions/compact/flush';
import { ingestBatch } from '../../functions/ingest/ingestBatch';
import { authenticatorFor, signRequest } from '#lib/auth';
import * as eventContract from '#lib/events/contract';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { PhoneVault, ProfileBook } from '#lib/profiles';
import { MemoryProfileStore } from '#lib/profiles/memoryStore';
import { LocalMetricsSink } from '#lib/metrics/localSink';
import { MetricsRecorder } from '#lib/metrics/recorder';
import { LocalJournal } from '#lib/eventLog/localJournal';
import type { EventLog, LogEntry } from '#lib/eventLog/port';
import { MemoryContactLedger } from '#lib/contacts/memoryLedger';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { listAll } from '#lib/objectStore/port';
import { encodeBatchRecord } from '#lib/events/batchRecord';
import { decodeRawObject, rawPartition } from '#lib/events/rawLog';

const quiet = createLogger({}, () => undefined);
/** Appends a batch record, as ingest does, of click events received at `receivedAt`. */
const appendBatch = (log: EventLog, ids: string[], receivedAt: number) => {
  const body = Buffer.from(
    JSON.stringify({ events: ids.map((event_id) => ({ event_id, type: 'click', user_id: 'u1', ts: receivedAt, item_id: 'sku' })) }),
  );
  return log.append(
    ids.map((id) => `demo:${id}`),
    encodeBatchRecord({ app_id: 'demo', received_at: receivedAt, client_ip: '1.2.3.4', skew_ms: 5 }, body),
    60,
  );
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
  jest.restoreAllMocks();
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
    expect(stored).toEqual([
      {
        app_id: 'demo',
        event_id: 'c',
        type: 'click',
        user_id: 'u1',
        ts: ten,
        item_id: 'sku',
        event_time: ten + 5,
        received_at: ten,
        client_ip: '1.2.3.4',
      },
    ]);
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
    const all = Object.values(await rawLog())
      .flat()
      .sort();
    expect(all).toEqual(['x', 'y', 'z']);
  });
});

describe('compact across a deploy that changes the event contract', () => {
  const ingest = (events: unknown[]) => {
    const body = JSON.stringify({ events });
    const features = new MemoryFeatureStore();
    const auth = authenticatorFor({ demo: ['demo-secret'] }, features, Date.now);
    const deps = {
      log: journal,
      features,
      contacts: new MemoryContactLedger(),
      profiles: new ProfileBook(new MemoryProfileStore(), new PhoneVault(Buffer.alloc(32, 1))),
      metrics: new MetricsRecorder(new LocalMetricsSink()),
      auth,
      rateLimitPerMinute: 1e6,
      featureBudgetMs: 300,
      clock: Date.now,
      logger: quiet,
    };
    return ingestBatch(deps, {
      headers: { ...signRequest('demo', 'demo-secret', 'POST', '/v1/events', body) },
      body: Buffer.from(body),
      query: new URLSearchParams(),
      clientIp: '1.2.3.4',
    });
  };
  const click = (event_id: string, fields: Record<string, unknown> = {}) => ({
    event_id,
    type: 'click',
    user_id: 'u1',
    ts: Date.now(),
    item_id: 'sku',
    ...fields,
  });

  it('the raw log holds exactly the events ingest accepted, whatever the validator says when compact runs', async () => {
    const result = await ingest([
      click('a'),
      click('bad', { colour: 'red' }),
      click('b', { user_id: null, anonymous_id: 'anon-1' }),
      click('a'),
    ]);
    expect(result).toMatchObject({ accepted: 2, duplicates: 1, rejected: [{ index: 1, code: 'unknown_field' }] });

    // The next deploy's contract accepts what this one refused: compaction must not ask it.
    const validator = jest.spyOn(eventContract, 'validateEvents').mockImplementation((events) => ({
      valid: events.map((event, index) => ({ index, event: event as eventContract.ClientEvent })),
      rejected: [],
    }));
    await flushEventLog({ log: journal, objects, logger: quiet });
    expect(validator).not.toHaveBeenCalled();
    const events = (await Promise.all(Object.keys(await rawLog()).map(async (k) => decodeRawObject((await objects.get(k))!)))).flat();
    expect(events.map((e) => e.event_id)).toEqual(['a', 'b']);
    expect(events[1]).not.toHaveProperty('user_id');
    expect(events[1]).toMatchObject({ anonymous_id: 'anon-1', app_id: 'demo', client_ip: '1.2.3.4' });
  });

  it('a record that cannot be read is set aside under raw/unreadable/ and the flush goes on', async () => {
    const t = Date.parse('2026-11-21T12:00:00+08:00');
    await journal.append(['demo:broken'], Buffer.from('not a batch record'), 60);
    await appendBatch(journal, ['ok'], t);
    const errors: string[] = [];
    const result = await flushEventLog({ log: journal, objects, logger: createLogger({}, (line) => errors.push(JSON.parse(line).msg)) });
    expect(result).toMatchObject({ entries: 2, events: 1 });
    expect(Object.values(await rawLog()).flat()).toEqual(['ok']);
    expect((await objects.get(`${UNREADABLE_RECORDS_PREFIX}000000000001.bin`))?.toString()).toBe('not a batch record');
    expect(errors).toContain('unreadable event-log record set aside');
    expect(await journal.pending(10)).toEqual([]);
  });
});
