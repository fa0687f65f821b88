/** One contract, every profile store: in-process and Redis (the real one, under a test prefix). */
import { MemoryProfileStore } from '#lib/profiles/memoryStore';
import { partOf, PROFILE_PARTS, type ProfileStore, type StoredProfile } from '#lib/profiles/port';
import { RedisProfileStore } from '#lib/profiles/redisStore';
import { onTestPrefix } from './redisTestPrefix';

const adapters: Record<string, () => { store: ProfileStore; teardown(): Promise<void> }> = {
  memory: () => ({ store: new MemoryProfileStore(), teardown: async () => undefined }),
  redis: () => {
    const { adapter, teardown } = onTestPrefix((url, prefix) => new RedisProfileStore({ url, prefix }));
    return { store: adapter, teardown };
  },
};

const profile = (userId: string, fields: Partial<StoredProfile> = {}): StoredProfile => ({
  userId,
  tags: [],
  attributes: {},
  updatedAt: 1,
  ...fields,
});

describe.each(Object.keys(adapters))('profile store contract: %s', (name) => {
  let h: ReturnType<(typeof adapters)[string]>;
  beforeEach(() => {
    h = adapters[name]();
  });
  afterEach(() => h.teardown());

  it('writes and reads whole records, unknown users as undefined', async () => {
    const a = profile('a', {
      phoneSealed: 'sealed-a',
      phoneHash: 'hash-a',
      consentSms: { granted: true, at: 5, source: 'store' },
      tags: ['vip'],
      attributes: { city: '杭州', age: 30 },
    });
    await h.store.put([a, profile('b')]);
    expect(await h.store.get(['a', 'ghost', 'b'])).toEqual([a, undefined, profile('b')]);
  });

  it('finds a user by phone hash, and forgets the old number when it changes', async () => {
    await h.store.put([profile('a', { phoneHash: 'h1' })]);
    expect(await h.store.userOfPhone('h1')).toBe('a');
    await h.store.put([profile('a', { phoneHash: 'h2' })]);
    expect(await h.store.userOfPhone('h1')).toBeUndefined();
    expect(await h.store.userOfPhone('h2')).toBe('a');
  });

  it("keeps another user's claim on a number that moved to them", async () => {
    await h.store.put([profile('a', { phoneHash: 'h1' })]);
    await h.store.put([profile('b', { phoneHash: 'h1' })]);
    await h.store.put([profile('a', { phoneHash: 'h3' })]);
    expect(await h.store.userOfPhone('h1')).toBe('b');
  });

  it('scans every profile, page by page', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `u${i}`);
    await h.store.put(ids.map((id) => profile(id)));
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await h.store.scan(cursor, 40);
      page.profiles.forEach((p) => seen.add(p.userId));
      cursor = page.next;
    } while (cursor);
    expect([...seen].sort()).toEqual([...ids].sort());
  });

  it('splits the profiles into part ranges that cover each once, and counts them', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `u${i}`);
    await h.store.put(ids.map((id) => profile(id)));
    expect(await h.store.count()).toBe(300);
    const ranges = [
      { from: 0, to: 300 },
      { from: 300, to: 301 },
      { from: 301, to: PROFILE_PARTS },
    ];
    const seen: string[] = [];
    for (const parts of ranges) {
      let cursor: string | undefined;
      do {
        const page = await h.store.scan(cursor, 25, parts);
        page.profiles.forEach((p) => {
          expect(partOf(p.userId)).toBeGreaterThanOrEqual(parts.from);
          expect(partOf(p.userId)).toBeLessThan(parts.to);
          seen.push(p.userId);
        });
        cursor = page.next;
      } while (cursor);
    }
    expect(seen.sort()).toEqual([...ids].sort());
  });
});
