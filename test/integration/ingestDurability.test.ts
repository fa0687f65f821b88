/**
 * Nothing acknowledged is lost, nothing is stored twice: the platform process is killed
 * (SIGKILL) in the middle of a load of signed batches, restarted, the client retries what
 * got no answer, compact flushes, and the raw log holds exactly the acknowledged events.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Redis from 'ioredis';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { listAll } from '#lib/objectStore/port';
import { decodeRawObject } from '#lib/events/rawLog';
import { postBatch } from '../../scripts/lib/ingestClient';
import { removeDir, startPlatform, type RunningPlatform } from './platformProcess';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const timerEvent = readFileSync(path.join(__dirname, '../fixtures/fc3/events/timer.json'));

interface Batch {
  ids: string[];
  body: string;
}

function makeBatch(n: number): Batch {
  const ids = Array.from({ length: 20 }, (_, i) => `b${n}-e${i}-${randomUUID().slice(0, 8)}`);
  const events = ids.map((event_id, i) => ({
    event_id,
    type: i % 5 === 0 ? 'add_to_cart' : 'click',
    user_id: `u${n % 7}`,
    item_id: `sku-${i}`,
    ts: Date.now(),
  }));
  return { ids, body: JSON.stringify({ events }) };
}

const setups: Record<string, () => { env: Record<string, string>; cleanup(): Promise<void> }> = {
  'local journal (embedded default)': () => ({ env: {}, cleanup: async () => undefined }),
  'Redis stream': () => {
    const prefix = `mkt-test:${randomUUID()}:`;
    return {
      env: { REDIS_URL, MKT_REDIS_PREFIX: prefix },
      cleanup: async () => {
        const redis = new Redis(REDIS_URL);
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length) await redis.del(...keys);
        await redis.quit();
      },
    };
  },
};

describe.each(Object.keys(setups))('durability with %s', (name) => {
  it('keeps exactly the acknowledged events through a kill -9 mid-load', async () => {
    const setup = setups[name]();
    let p: RunningPlatform = await startPlatform(setup.env);
    const dir = p.dir;
    const acked = new Set<string>();
    const unanswered: Batch[] = [];
    let next = 0;
    let inFlight = 0;
    let inFlightAtKill = -1;
    let killed = false;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

    const worker = async () => {
      while (!killed) {
        const batch = makeBatch(next++);
        inFlight++;
        try {
          const reply = await postBatch({ baseUrl: `${p.url}/ingest`, agent }, batch.body);
          if (reply.status === 200) batch.ids.forEach((id) => acked.add(id));
          else unanswered.push(batch);
        } catch {
          unanswered.push(batch); // connection reset by the kill: no answer, so the client retries
        } finally {
          inFlight--;
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));
    while (acked.size < 4000) await new Promise((r) => setTimeout(r, 5));
    inFlightAtKill = inFlight;
    killed = true;
    await p.stop('SIGKILL');
    await load;
    agent.destroy();

    p = await startPlatform(setup.env, dir);
    for (const batch of unanswered) {
      const reply = await postBatch({ baseUrl: `${p.url}/ingest` }, batch.body);
      expect(reply.status).toBe(200);
      batch.ids.forEach((id) => acked.add(id));
    }
    const flush = await fetch(`${p.url}/-/invoke/compact`, { method: 'POST', body: timerEvent });
    expect(flush.headers.get('x-fc-error-type')).toBeNull();
    await p.stop();

    const store = new LocalObjectStore(path.join(dir, 'oss'), 'mkt-data');
    const stored: string[] = [];
    for await (const o of listAll(store, 'raw/events/')) stored.push(...decodeRawObject((await store.get(o.key))!).map((e) => e.event_id));
    removeDir(dir);
    await setup.cleanup();

    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(stored.length).toBe(new Set(stored).size); // none twice
    expect(stored.sort()).toEqual([...acked].sort()); // exactly the acknowledged ones
  }, 60_000);
});
