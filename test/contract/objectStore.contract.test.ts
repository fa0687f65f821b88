/** One contract, every object-store adapter: local files and OSS (real ali-oss client, fake OSS on the wire). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalObjectStore, localObjectEvents, type LocalObjectEvent } from '#lib/objectStore/localStore';
import { OssObjectStore } from '#lib/objectStore/ossStore';
import { listAll, type ObjectStore } from '#lib/objectStore/port';
import { TEST_AK } from '../wire/alibabaRpc';
import { startOssFake, type OssFake } from '../wire/oss';

interface Harness {
  store: ObjectStore;
  teardown(): Promise<void>;
}

const adapters: Record<string, () => Promise<Harness>> = {
  local: async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-oss-'));
    return { store: new LocalObjectStore(dir, 'contract'), teardown: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  oss: async () => {
    const fake = await startOssFake('contract');
    const store = new OssObjectStore({ bucket: 'contract', region: 'oss-cn-hangzhou', endpoint: fake.url, credentials: () => TEST_AK });
    return { store, teardown: () => fake.close() };
  },
};

describe.each(Object.keys(adapters))('object store contract: %s', (name) => {
  let h: Harness;
  beforeEach(async () => {
    h = await adapters[name]();
  });
  afterEach(() => h.teardown());

  it('stores bytes and reads back exactly the same bytes', async () => {
    const body = Buffer.from([0, 1, 2, 255, 0x1f, 0x8b]);
    const stored = await h.store.put('raw/events/dt=2026-11-21/hh=09/a.jsonl.gz', body);
    expect(stored.size).toBe(6);
    expect(stored.eTag).toMatch(/^[0-9A-F]{32}$/);
    expect(await h.store.get('raw/events/dt=2026-11-21/hh=09/a.jsonl.gz')).toEqual(body);
  });

  it('answers undefined for a missing key', async () => {
    expect(await h.store.get('models/none/meta.json')).toBeUndefined();
  });

  it('overwrites a key', async () => {
    await h.store.put('k/v.json', Buffer.from('1'));
    await h.store.put('k/v.json', Buffer.from('22'));
    expect((await h.store.get('k/v.json'))?.toString()).toBe('22');
  });

  it('lists keys under a prefix in order, page by page', async () => {
    for (const k of ['a/3', 'a/1', 'a/2/x', 'b/1', 'ab']) await h.store.put(k, Buffer.from(k));
    const first = await h.store.list('a/', { limit: 2 });
    expect(first.objects.map((o) => o.key)).toEqual(['a/1', 'a/2/x']);
    expect(first.next).toBe('a/2/x');
    const second = await h.store.list('a/', { startAfter: first.next, limit: 2 });
    expect(second.objects.map((o) => o.key)).toEqual(['a/3']);
    expect(second.next).toBeUndefined();
    const all: string[] = [];
    for await (const o of listAll(h.store, 'a')) all.push(o.key);
    expect(all).toEqual(['a/1', 'a/2/x', 'a/3', 'ab']);
    expect(second.objects[0].size).toBe(3);
  });

  it('deletes, and deleting a missing key is not an error', async () => {
    await h.store.put('d/x', Buffer.from('x'));
    await h.store.delete('d/x');
    await h.store.delete('d/x');
    expect(await h.store.get('d/x')).toBeUndefined();
  });

  it('refuses keys that escape the bucket', async () => {
    await expect(h.store.put('../etc/passwd', Buffer.from('x'))).rejects.toThrow(/invalid object key/);
    await expect(h.store.get('/abs')).rejects.toThrow(/invalid object key/);
  });
});

describe('local object store events', () => {
  it('announces each write with bucket, key, size and MD5 eTag, as OSS notifies triggers', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-oss-'));
    const store = new LocalObjectStore(dir, 'events');
    const seen: LocalObjectEvent[] = [];
    const listener = (e: LocalObjectEvent) => seen.push(e);
    localObjectEvents.on('object', listener);
    await store.put('datasets/u.data', Buffer.from('hello'));
    localObjectEvents.off('object', listener);
    rmSync(dir, { recursive: true, force: true });
    expect(seen).toEqual([
      { eventName: 'ObjectCreated:PutObject', bucket: 'events', key: 'datasets/u.data', size: 5, eTag: '5D41402ABC4B2A76B9719D911017C592' },
    ]);
  });
});

describe('OSS adapter on the wire', () => {
  let fake: OssFake;
  beforeEach(async () => {
    fake = await startOssFake('wire');
  });
  afterEach(() => fake.close());

  it('signs requests the way OSS verifies them (a wrong secret is refused)', async () => {
    const wrong = new OssObjectStore({
      bucket: 'wire',
      region: 'oss-cn-hangzhou',
      endpoint: fake.url,
      credentials: () => ({ ...TEST_AK, accessKeySecret: 'wrong' }),
    });
    await expect(wrong.put('x', Buffer.from('x'))).rejects.toMatchObject({ status: 503, code: 'object_store_unavailable' });
    const right = new OssObjectStore({ bucket: 'wire', region: 'oss-cn-hangzhou', endpoint: fake.url, credentials: () => TEST_AK });
    await right.put('x', Buffer.from('x'));
    expect(fake.objects.get('x')?.body.toString()).toBe('x');
    expect(fake.received.at(-1)?.headers['content-md5']).toBeDefined();
  });

  it('turns an OSS outage into a retryable 503 error', async () => {
    const store = new OssObjectStore({ bucket: 'wire', region: 'oss-cn-hangzhou', endpoint: fake.url, credentials: () => TEST_AK });
    fake.failWith(500);
    const err = await store.put('y', Buffer.from('y')).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, retryable: true });
  });
});
