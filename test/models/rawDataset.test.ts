/** The dataset builder reads the raw log that compact writes. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { datasetFromRawLog } from '#models/datasets/rawEvents';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { encodeRawObject } from '#lib/events/rawLog';
import type { RawEvent } from '#lib/events/contract';

const ev = (event_id: string, user: string, type: string, item: string | undefined, t: number): RawEvent => ({
  app_id: 'demo',
  event_id,
  type,
  user_id: user.startsWith('anon') ? undefined : user,
  anonymous_id: user.startsWith('anon') ? user.slice(5) : undefined,
  ts: t,
  event_time: t,
  received_at: t,
  client_ip: '1.1.1.1',
  item_id: item,
});

describe('dataset from the raw log', () => {
  it('keeps interest events, once per (user, item) at its latest time, oldest first, within the window', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-raw-'));
    const store = new LocalObjectStore(dir, 'mkt-data');
    await store.put(
      'raw/events/dt=2026-11-20/hh=10/1.jsonl.gz',
      encodeRawObject([ev('1', 'u1', 'click', 'a', 100), ev('2', 'u1', 'exposure', 'b', 101), ev('3', 'u1', 'purchase', 'c', 102)]),
    );
    await store.put(
      'raw/events/dt=2026-11-21/hh=09/2.jsonl.gz',
      encodeRawObject([
        ev('4', 'u1', 'favorite', 'a', 200),
        ev('4', 'u1', 'favorite', 'a', 200),
        ev('5', 'anon:x', 'click', 'c', 150),
        ev('6', 'u2', 'search', undefined, 160),
      ]),
    );
    await store.put('raw/events/dt=2026-11-19/hh=09/3.jsonl.gz', encodeRawObject([ev('7', 'u3', 'click', 'z', 50)]));
    const d = await datasetFromRawLog(store, { from: '2026-11-20' });
    rmSync(dir, { recursive: true, force: true });
    const named = (u: string) => d.byUser[d.userIds.indexOf(u)].map((i) => d.itemIds[i]);
    expect(d.userIds).toEqual(['anon:x', 'u1']);
    expect(named('u1')).toEqual(['c', 'a']); // exposure ignored; 'a' moved to its latest time
    expect(named('anon:x')).toEqual(['c']);
    expect(d.events).toBe(4); // the repeated event 4 counts once
    const weightOf = (u: string, item: string) => d.weights[d.userIds.indexOf(u)].get(d.itemIds.indexOf(item));
    expect(weightOf('u1', 'c')).toBeCloseTo(1, 6); // a purchase, the strongest type
    expect(weightOf('u1', 'a')).toBeCloseTo(0.5, 6); // click then favorite: the favorite's 3 of 6
    expect(weightOf('anon:x', 'c')).toBeCloseTo(2 / 6, 6);
  });

  it('halves a pair’s weight for every 30 days it is older than the log’s last event', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-raw-'));
    const store = new LocalObjectStore(dir, 'mkt-data');
    const day = 24 * 3600_000;
    const end = Date.parse('2026-11-21T00:00:00Z');
    await store.put(
      'raw/events/dt=2026-11-21/hh=00/1.jsonl.gz',
      encodeRawObject([ev('1', 'u1', 'purchase', 'old', end - 60 * day), ev('2', 'u1', 'purchase', 'new', end)]),
    );
    const d = await datasetFromRawLog(store);
    rmSync(dir, { recursive: true, force: true });
    expect(d.byUser[0].map((i) => d.weights[0].get(i))).toEqual([0.25, 1]);
  });
});
