/**
 * Recommend degrades instead of failing: each fallback with the real dependency broken
 * (Redis on a port where nothing listens, a Redis that never answers, a model whose run
 * fails), a model promoted under load, and ingest's events changing the next answer.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { signRequest } from '#lib/auth';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { RedisFeatureStore } from '#lib/featureStore/redisStore';
import { ModelRegistry } from '#models/registry';
import { RECOMMENDER_MODEL } from '#models/recommender/served';
import { clusterOf, itemOf, registerModel, startRecommend, type RecommendHarness } from './harness';
import { startIngest, event } from '../ingest/harness';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The first line the instance logged about the feature store, once there is one. */
async function firstFeatureStoreLine(h: RecommendHarness): Promise<string> {
  for (;;) {
    const line = h.logs.map((l) => JSON.parse(l).msg as string).find((m) => m.startsWith('feature store'));
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('recommend fallbacks', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function withModel(o: Parameters<typeof startRecommend>[0], extraIds?: string[]): Promise<RecommendHarness> {
    const h = await startRecommend({ ...o, load: false });
    cleanups.push(() => h.close());
    await registerModel(h.store, 'v1', { extraIds });
    await h.state.load();
    return h;
  }

  it('ranks on what the request carries, or the model’s best sellers, when Redis is unreachable', async () => {
    const features = new RedisFeatureStore({ url: 'redis://127.0.0.1:1', prefix: 'mkt-test:down:' });
    cleanups.push(() => features.close());
    const h = await withModel({ features, featureBudgetMs: 50 });

    const carried = await h.post({ user_id: 'u1', n: 3, recent: [itemOf(1, 2)] });
    expect(carried.status).toBe(200);
    expect(carried.body).toMatchObject({ fallback: 'feature_store_unavailable', model_version: 'v1' });
    expect(carried.body.items.map((i) => clusterOf(i.item_id))).toEqual([1, 1, 1]);
    expect(carried.body.items[0].reason).toBe(`because you viewed ${itemOf(1, 2)}`);

    const bare = await h.get('user_id=u1&n=2');
    expect(bare.body).toMatchObject({ fallback: 'feature_store_unavailable' });
    expect(bare.body.items.map((i) => i.item_id)).toEqual([itemOf(2, 9), itemOf(2, 8)]);
    // Refused, not late: said as unavailable once the client gives up (after the answer, when that is past the budget).
    expect(await firstFeatureStoreLine(h)).toBe('feature store unavailable; ranking on what the request carries');
  });

  it('calls a store that answers after the budget slow, not unavailable: an overrun counted, and logged once it answers', async () => {
    const features = new MemoryFeatureStore();
    let answer!: () => void;
    const late = new Promise<void>((resolve) => (answer = resolve));
    const slow = Object.assign(Object.create(features) as MemoryFeatureStore, {
      history: (user: string) => late.then(() => features.history(user)),
    });
    const h = await withModel({ features: slow, featureBudgetMs: 20 });
    const r = await h.post({ user_id: 'u1', n: 3, recent: [itemOf(0, 1)] });
    expect(r.body).toMatchObject({ fallback: 'feature_store_unavailable', model_version: 'v1' });
    answer();
    expect(await firstFeatureStoreLine(h)).toBe('feature store slow; ranked on what the request carries');
    await fetch(h.baseUrl, { headers: { 'x-fc-control-path': '/pre-stop' } });
    expect([...h.metrics.totals.values()].filter((d) => d.name === 'FeatureBudgetOverruns').map((d) => [d.dimensions, d.value])).toEqual([
      [{ function: 'recommend' }, 1],
    ]);
  });

  it('does not wait past its budget for a Redis that never answers', async () => {
    const silent = net.createServer((socket) => socket.on('data', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => silent.close(r)));
    const features = new RedisFeatureStore({
      url: `redis://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
      prefix: 'mkt-test:silent:',
      commandTimeoutMs: 5000,
    });
    cleanups.push(async () => features.redis.disconnect());
    const h = await withModel({ features, featureBudgetMs: 20, budgetMs: 60 });
    const r = await h.post({ user_id: 'u1', n: 3, recent: [itemOf(0, 1)] });
    expect(r.body).toMatchObject({ fallback: 'feature_store_unavailable', model_version: 'v1' });
    expect(r.body.items.map((i) => clusterOf(i.item_id))).toEqual([0, 0, 0]);
    expect(r.body.took_ms).toBeLessThan(1000); // the store's own timeout is 5 s: only the deadline can end it sooner
  });

  it('answers trending, named model_error, when the model’s run fails', async () => {
    // The registry maps one id more than the graph has rows: scoring it fails inside onnxruntime.
    const h = await withModel({}, ['ghost']);
    const r = await h.post({ user_id: 'u1', n: 2, recent: ['ghost'] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ fallback: 'model_error', model_version: null });
    expect(r.body.items.map((i) => i.item_id)).toEqual([itemOf(2, 9), itemOf(2, 8)]);
  });

  it('switches to a promoted version under load without failing a request', async () => {
    const h = await withModel({});
    const seen: { status: number; version: string | null }[][] = [];
    let running = true;
    const client = async (c: number) => {
      const mine: { status: number; version: string | null }[] = [];
      seen.push(mine);
      while (running) {
        const r = await h
          .post({ user_id: `load-${c}`, n: 10, recent: [itemOf(c % 3, 1)] })
          .catch(() => ({ status: 0, body: { model_version: null } }));
        mine.push({ status: r.status, version: r.body.model_version });
      }
    };
    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    await new Promise((r) => setTimeout(r, 300));
    await registerModel(h.store, 'v2', { seed: 99 });
    const registry = new ModelRegistry(h.store);
    expect((await registry.current(RECOMMENDER_MODEL))?.version).toBe('v2');
    await new Promise((r) => setTimeout(r, 700));
    running = false;
    await Promise.all(clients);

    const all = seen.flat();
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((r) => r.status !== 200)).toEqual([]);
    for (const mine of seen) {
      const firstV2 = mine.findIndex((r) => r.version === 'v2');
      expect(firstV2).toBeGreaterThan(0);
      expect(mine.slice(0, firstV2).every((r) => r.version === 'v1')).toBe(true);
      expect(mine.slice(firstV2).every((r) => r.version === 'v2')).toBe(true);
    }
  });

  it('keeps serving a request on the version it started with when a new one is swapped in meanwhile', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    class HeldFeatures extends MemoryFeatureStore {
      override async history(userId: string) {
        await gate; // the request waits here while the swap happens
        return super.history(userId);
      }
    }
    const h = await withModel({ features: new HeldFeatures(), featureBudgetMs: 5000, budgetMs: 10_000 });
    const pending = h.post({ user_id: 'u1', n: 3, recent: [itemOf(1, 1)] });
    await new Promise((r) => setTimeout(r, 50));
    await registerModel(h.store, 'v2', { seed: 99 });
    await h.state.load();
    expect(h.state.model?.version).toBe('v2');
    release();
    const r = await pending;
    expect(r.body).toMatchObject({ model_version: 'v1', fallback: null });
    expect((await h.post({ user_id: 'u1', n: 3, recent: [itemOf(1, 1)] })).body.model_version).toBe('v2');
  });

  it('reflects events sent through ingest in the very next recommendation (real Redis)', async () => {
    const prefix = `mkt-test:${randomUUID()}:`;
    const features = new RedisFeatureStore({ url: REDIS_URL, prefix });
    cleanups.push(async () => {
      const keys = await features.redis.keys(`${prefix}*`);
      if (keys.length) await features.redis.del(...keys);
      await features.close();
    });
    const ingest = await startIngest({ features });
    cleanups.push(() => ingest.close());
    const h = await withModel({ features });

    const before = await h.get('user_id=rt-user&n=5');
    expect(before.body.items.every((i) => i.reason !== `because you viewed ${itemOf(1, 6)}`)).toBe(true);

    const body = JSON.stringify({ events: [event({ user_id: 'rt-user', type: 'click', item_id: itemOf(1, 6), ts: Date.now() })] });
    const sent = await fetch(`${ingest.baseUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signRequest('demo', 'demo-secret', 'POST', '/v1/events', body) },
      body,
    });
    expect(sent.status).toBe(200);
    const acknowledged = performance.now();
    const after = await h.get('user_id=rt-user&n=5');
    const elapsed = performance.now() - acknowledged;

    expect(after.body.fallback).toBeNull();
    expect(after.body.items.map((i) => clusterOf(i.item_id))).toEqual([1, 1, 1, 1, 1]);
    expect(after.body.items[0].reason).toBe(`because you viewed ${itemOf(1, 6)}`);
    expect(elapsed).toBeLessThan(1000);
  });
});
