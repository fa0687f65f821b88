/** One contract, every event-log adapter: the local journal, and a stream in the real Redis. */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalJournal } from '#lib/eventLog/localJournal';
import type { Admission, EventLog, LogEntry } from '#lib/eventLog/port';
import { RedisEventLog } from '#lib/eventLog/redisLog';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Harness {
  log: EventLog;
  /** A new instance over the same storage, as after a process restart. */
  reopen(): Promise<EventLog>;
  teardown(): Promise<void>;
}

const adapters: Record<string, () => Promise<Harness>> = {
  journal: async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-journal-'));
    const opened: EventLog[] = [new LocalJournal(dir)];
    return {
      log: opened[0],
      reopen: async () => {
        await opened.at(-1)!.close();
        opened.push(new LocalJournal(dir));
        return opened.at(-1)!;
      },
      teardown: async () => {
        await opened.at(-1)!.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  redis: async () => {
    const prefix = `mkt-test:${randomUUID()}:`;
    const opened: RedisEventLog[] = [new RedisEventLog({ url: REDIS_URL, prefix })];
    return {
      log: opened[0],
      reopen: async () => {
        opened.push(new RedisEventLog({ url: REDIS_URL, prefix }));
        return opened.at(-1)!;
      },
      teardown: async () => {
        const keys = await opened[0].redis.keys(`${prefix}*`);
        if (keys.length) await opened[0].redis.del(...keys);
        for (const l of opened) await l.close();
      },
    };
  },
};

/** Appends a batch whose record names its keys, so a test can see what was stored; resolves to its duplicate flags or refusal. */
const put = async (log: EventLog, keys: string[], admission?: Admission) => {
  const result = await log.append(keys, Buffer.from(JSON.stringify(keys)), 60, admission);
  return result.refused ?? result.duplicate;
};
const gate = (nonce: string, cost = 1, limit = 10): Admission => ({
  nonce,
  nonceSeconds: 60,
  quota: 'demo:1',
  cost,
  limit,
  quotaSeconds: 60,
});
/** The keys stored by each entry: those of its record not flagged as duplicates. */
const storedKeys = (entries: LogEntry[]) =>
  entries.flatMap((e) => (JSON.parse(e.record.toString()) as string[]).filter((_, i) => !e.duplicate[i]));

describe.each(Object.keys(adapters))('event log contract: %s', (name) => {
  let h: Harness;
  beforeEach(async () => {
    h = await adapters[name]();
  });
  afterEach(() => h.teardown());

  it('appends new events and reports duplicates, within a batch and across batches', async () => {
    expect(await put(h.log, ['a:1', 'a:2', 'a:1'])).toEqual([false, false, true]);
    expect(await put(h.log, ['a:2', 'a:3'])).toEqual([true, false]);
    expect(await put(h.log, ['a:2'])).toEqual([true]);
    expect(storedKeys(await h.log.pending(10))).toEqual(['a:1', 'a:2', 'a:3']);
  });

  it('admits each nonce once; a refused batch stores and claims nothing', async () => {
    expect(await put(h.log, ['n:1'], gate('demo:nonce-a'))).toEqual([false]);
    expect(await put(h.log, ['n:2'], gate('demo:nonce-a'))).toBe('replayed_nonce');
    expect(await put(h.log, ['n:2'], gate('demo:nonce-b'))).toEqual([false]);
    expect(storedKeys(await h.log.pending(10))).toEqual(['n:1', 'n:2']);
  });

  it('refuses batches past the quota, counting every admitted cost', async () => {
    expect(await put(h.log, ['q:1'], gate('demo:q1', 6))).toEqual([false]);
    expect(await put(h.log, [], gate('demo:q2', 4))).toEqual([]); // admitted, nothing to store
    expect(await put(h.log, ['q:2'], gate('demo:q3', 1))).toBe('over_quota');
    expect(await put(h.log, ['q:2'])).toEqual([false]);
    expect(storedKeys(await h.log.pending(10))).toEqual(['q:1', 'q:2']);
  });

  it('gates each batch of a group on its own', async () => {
    const results = await Promise.all([
      put(h.log, ['g:1'], gate('demo:g', 1)),
      put(h.log, ['g:2'], gate('demo:g', 1)),
      put(h.log, ['g:3'], gate('demo:h', 20)),
      put(h.log, ['g:1', 'g:4']),
    ]);
    expect(results).toEqual([[false], 'replayed_nonce', 'over_quota', [true, false]]);
    expect(storedKeys(await h.log.pending(10))).toEqual(['g:1', 'g:4']);
  });

  it('hands out entries in order until they are acked', async () => {
    await put(h.log, ['1']);
    await put(h.log, ['2']);
    await put(h.log, ['3']);
    const first = await h.log.pending(2);
    expect(storedKeys(first)).toEqual(['1', '2']);
    // Not acked: the same entries come back, in the same order.
    expect(await h.log.pending(2)).toEqual(first);
    await h.log.ack(first.map((e) => e.id));
    expect(storedKeys(await h.log.pending(10))).toEqual(['3']);
    await h.log.ack((await h.log.pending(10)).map((e) => e.id));
    expect(await h.log.pending(10)).toEqual([]);
  });

  it('keeps unacked entries and the de-duplication window across a restart', async () => {
    await put(h.log, ['x', 'y']);
    const [entry] = await h.log.pending(1);
    await put(h.log, ['z']);
    await h.log.ack([entry.id]);
    const again = await h.reopen();
    expect(storedKeys(await again.pending(10))).toEqual(['z']);
    expect(await put(again, ['x', 'z', 'w'])).toEqual([true, true, false]);
  });
});

describe('Redis event log', () => {
  it('remembers an id for one to two windows, and frees the window before last', async () => {
    const prefix = `mkt-test:${randomUUID()}:`;
    let t = Date.UTC(2026, 10, 21, 12, 0, 30);
    const log = new RedisEventLog({ url: REDIS_URL, prefix, clock: () => t });
    try {
      expect(await put(log, ['w:a'])).toEqual([false]);
      t += 60_000; // next window: still remembered
      expect(await put(log, ['w:a', 'w:b'])).toEqual([true, false]);
      t += 60_000; // two windows on: 'a' is forgotten, 'b' is not, and a's set is gone
      expect(await put(log, ['w:a', 'w:b'])).toEqual([false, true]);
      const sets = await log.redis.keys(`${prefix}{ingest}:seen:*`);
      expect(sets).toHaveLength(2);
      expect(await log.redis.ttl(sets[0])).toBeGreaterThan(60);
    } finally {
      const keys = await log.redis.keys(`${prefix}*`);
      if (keys.length) await log.redis.del(...keys);
      await log.close();
    }
  });
});

describe('local journal', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-journal-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('drops a torn last line (a write cut short) and keeps everything before it', async () => {
    const j = new LocalJournal(dir);
    await put(j, ['kept']);
    await j.close();
    appendFileSync(path.join(dir, 'events.journal'), '{"seq":2,"at":1,"keys":["torn"],"li');
    const reopened = new LocalJournal(dir);
    expect(storedKeys(await reopened.pending(10))).toEqual(['kept']);
    expect(await put(reopened, ['torn'])).toEqual([false]);
    await reopened.close();
  });

  it('forgets event ids after the de-duplication window', async () => {
    let t = 1_000_000;
    const j = new LocalJournal(dir, () => t);
    await put(j, ['old']);
    t += 61_000;
    expect(await put(j, ['old'])).toEqual([false]);
    await j.close();
  });

  it('admits a nonce again, and resets a quota, once their windows have passed', async () => {
    let t = 1_000_000;
    const j = new LocalJournal(dir, () => t);
    expect(await put(j, ['a'], gate('demo:n', 10))).toEqual([false]);
    expect(await put(j, ['b'], gate('demo:m', 1))).toBe('over_quota');
    t += 61_000;
    expect(await put(j, ['b'], gate('demo:n', 10))).toEqual([false]);
    await j.close();
  });
});
