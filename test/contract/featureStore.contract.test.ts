/** One contract, every feature-store adapter: in-process, and the real Redis at REDIS_URL. */
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import type { Behaviour } from '#lib/events/behaviour';
import type { FeatureStore } from '#lib/featureStore/port';
import { RedisFeatureStore } from '#lib/featureStore/redisStore';
import { onTestPrefix } from './redisTestPrefix';

const NOW = Date.parse('2026-11-21T10:00:00+08:00');
const HOUR = 3600_000;
const DAY = 24 * HOUR;

interface Harness {
  store: FeatureStore;
  teardown(): Promise<void>;
}

const adapters: Record<string, () => Promise<Harness>> = {
  memory: async () => ({ store: new MemoryFeatureStore(() => NOW), teardown: async () => undefined }),
  redis: async () => {
    const { adapter, teardown } = onTestPrefix((url, prefix) => new RedisFeatureStore({ url, prefix }));
    return { store: adapter, teardown };
  },
};

const ev = (userId: string, type: string, ts: number, itemId?: string, amount?: number): Behaviour => ({
  userId,
  type,
  ts,
  itemId,
  amount,
});

describe.each(Object.keys(adapters))('feature store contract: %s', (name) => {
  let h: Harness;
  beforeEach(async () => {
    h = await adapters[name]();
  });
  afterEach(() => h.teardown());

  it('keeps a user’s recent items newest first, with times and types', async () => {
    await h.store.record([ev('u1', 'page_view', NOW - 3000, 'i1'), ev('u1', 'click', NOW - 1000, 'i2')]);
    await h.store.record([ev('u1', 'add_to_cart', NOW - 2000, 'i3'), ev('u2', 'click', NOW, 'i9')]);
    const u = await h.store.user('u1', NOW);
    expect(u.recent).toEqual([
      { itemId: 'i2', type: 'click', ts: NOW - 1000 },
      { itemId: 'i3', type: 'add_to_cart', ts: NOW - 2000 },
      { itemId: 'i1', type: 'page_view', ts: NOW - 3000 },
    ]);
    expect(u.lastActive).toBe(NOW - 1000);
  });

  it('keeps at most 50 recent items', async () => {
    await h.store.record(Array.from({ length: 70 }, (_, i) => ev('u1', 'click', NOW - i * 1000, `i${i}`)));
    const u = await h.store.user('u1', NOW);
    expect(u.recent).toHaveLength(50);
    expect(u.recent[0].itemId).toBe('i0');
    expect(u.recent[49].itemId).toBe('i49');
  });

  it('counts event types over 1, 7 and 30 days (Asia/Shanghai days) and sums spend', async () => {
    await h.store.record([
      ev('u1', 'purchase', NOW, 'i1', 99.5),
      ev('u1', 'purchase', NOW - 3 * DAY, 'i2', 0.5),
      ev('u1', 'purchase', NOW - 20 * DAY, 'i3', 10),
      ev('u1', 'purchase', NOW - 40 * DAY, 'i4', 1),
      ev('u1', 'x_coupon_open', NOW),
    ]);
    const u = await h.store.user('u1', NOW);
    expect(u.counts.purchase).toEqual({ d1: 1, d7: 2, d30: 3 });
    expect(u.counts.x_coupon_open).toEqual({ d1: 1, d7: 1, d30: 1 });
    expect(u.spend).toBeCloseTo(111, 6);
  });

  it('remembers every purchased item beyond the recent list, and serves history in one read', async () => {
    await h.store.record([ev('u1', 'purchase', NOW - 100_000, 'bought-long-ago', 5), ev('u1', 'click', NOW - 50_000, 'i0')]);
    await h.store.record(Array.from({ length: 60 }, (_, i) => ev('u1', 'click', NOW - i * 10, `i${i}`)));
    await h.store.record([ev('u1', 'purchase', NOW, 'i1', 5), ev('u2', 'purchase', NOW, 'other', 1)]);
    const history = await h.store.history('u1');
    expect(history.purchased.sort()).toEqual(['bought-long-ago', 'i1']);
    expect(history.recent).toHaveLength(50);
    expect(history.recent[0]).toEqual({ itemId: 'i1', type: 'purchase', ts: NOW });
    expect(history.recent.map((r) => r.itemId)).not.toContain('bought-long-ago');
    expect(await h.store.history('nobody')).toEqual({ recent: [], purchased: [] });
  });

  it('answers reads made together, each with its own user’s history', async () => {
    await h.store.record(Array.from({ length: 30 }, (_, u) => ev(`u${u}`, u % 2 ? 'purchase' : 'click', NOW - u, `item-${u}`, 1)));
    await h.store.history('warm-up'); // connected, so the reads below leave together
    const histories = await Promise.all(Array.from({ length: 30 }, (_, u) => h.store.history(`u${u}`)));
    histories.forEach((history, u) => {
      expect(history.recent.map((r) => r.itemId)).toEqual([`item-${u}`]);
      expect(history.purchased).toEqual(u % 2 ? [`item-${u}`] : []);
    });
  });

  it('answers empty features for an unknown user', async () => {
    expect(await h.store.user('nobody', NOW)).toEqual({ recent: [], counts: {}, lastActive: undefined, spend: 0 });
  });

  it('decays item popularity with a three-day half-life', async () => {
    await h.store.record([ev('u1', 'purchase', NOW - 3 * DAY, 'old'), ev('u2', 'purchase', NOW, 'new')]);
    const [old, fresh, unknown] = await h.store.popularity(['old', 'new', 'none'], NOW);
    expect(fresh).toBeCloseTo(6, 6);
    expect(old).toBeCloseTo(3, 6);
    expect(unknown).toBe(0);
  });

  it('ranks trending items by recent interest, older hours weighing less', async () => {
    await h.store.record([
      ev('u1', 'click', NOW, 'a'),
      ev('u2', 'click', NOW, 'a'),
      ev('u3', 'purchase', NOW - 2 * HOUR, 'b'),
      ev('u4', 'page_view', NOW, 'c'),
      ev('u5', 'purchase', NOW - 10 * HOUR, 'stale'),
      ev('u6', 'exposure', NOW, 'shown-only'),
    ]);
    const top = await h.store.trending(10, NOW);
    expect(top.map((t) => t.itemId)).toEqual(['a', 'b', 'c']);
    expect(top[0].score).toBeCloseTo(4, 6);
    expect(top[1].score).toBeCloseTo(3, 6);
    expect((await h.store.trending(1, NOW)).map((t) => t.itemId)).toEqual(['a']);
  });

  it('keeps per-app token revocations, the latest per app', async () => {
    expect(await h.store.tokenRevocations()).toEqual({});
    await h.store.revokeTokens('shop', 1000);
    await h.store.revokeTokens('other', 5);
    await h.store.revokeTokens('shop', 2000);
    expect(await h.store.tokenRevocations()).toEqual({ shop: 2000, other: 5 });
  });

  it('answers ping', async () => {
    await expect(h.store.ping()).resolves.toBeUndefined();
  });
});

describe('Redis feature store when Redis is unreachable', () => {
  it('fails fast with a retryable feature_store_unavailable error', async () => {
    const store = new RedisFeatureStore({ url: 'redis://127.0.0.1:1', prefix: 'mkt-test:down:' });
    const started = Date.now();
    await expect(store.history('u1')).rejects.toMatchObject({ code: 'feature_store_unavailable', status: 503 });
    expect(Date.now() - started).toBeLessThan(5000);
    await store.close();
  });
});
