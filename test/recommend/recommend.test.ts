/** The recommend API end to end over HTTP: ranking, rules, reasons, validation and signatures. */
import type { Behaviour } from '#lib/events/behaviour';
import type { Contact, ContactLedger } from '#lib/contacts';
import { RedisContactLedger } from '#lib/contacts/redisLedger';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { onTestPrefix } from '../contract/redisTestPrefix';
import { categoryCap } from '../../functions/recommend/rules';
import { clusterOf, itemOf, putCatalog, registerModel, startRecommend, type RecommendHarness } from './harness';

const view = (userId: string, itemId: string, ageMs = 1000, type = 'click'): Behaviour => ({
  userId,
  type,
  ts: Date.now() - ageMs,
  itemId,
});

describe('recommend', () => {
  let h: RecommendHarness;
  let features: MemoryFeatureStore;

  beforeEach(async () => {
    features = new MemoryFeatureStore();
    h = await startRecommend({ features, load: false });
  });
  afterEach(() => h.close());

  it('answers trending, named as the no_model fallback, before any model is registered', async () => {
    await features.record([
      view('other', itemOf(1, 3)),
      view('other', itemOf(1, 3)),
      view('other2', itemOf(1, 3)),
      view('other', itemOf(0, 1)),
    ]);
    const r = await h.get('user_id=u1&n=5');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ model_version: null, fallback: 'no_model' });
    expect(r.body.items.map((i) => i.item_id)).toEqual([itemOf(1, 3), itemOf(0, 1)]);
    expect(r.body.items[0].reason).toBe('popular right now');
    expect(r.headers['server-timing']).toMatch(/parse;dur=[\d.]+, features;dur=[\d.]+, rules;dur=[\d.]+, total;dur=[\d.]+/);
    expect(typeof r.body.took_ms).toBe('number');
  });

  it('ranks the neighbours of what the user just did, with a reason naming it, and reports the version', async () => {
    await registerModel(h.store, 'v1');
    await h.state.load();
    await features.record([view('u1', itemOf(1, 2), 5000, 'page_view'), view('u1', itemOf(1, 4), 1000, 'add_to_cart')]);
    const r = await h.get('user_id=u1&n=3');
    expect(r.body).toMatchObject({ model_version: 'v1', fallback: null });
    expect(r.body.items).toHaveLength(3);
    for (const item of r.body.items) {
      expect(clusterOf(item.item_id)).toBe(1);
      expect(item.reason).toMatch(new RegExp(`^because you (viewed ${itemOf(1, 2)}|added ${itemOf(1, 4)} to your cart)$`));
      expect(item.score).toBeGreaterThan(0);
    }
    expect(r.body.items.map((i) => i.item_id)).not.toContain(itemOf(1, 2)); // what they just saw is not offered again
    expect(r.headers['server-timing']).toMatch(/model;dur=/);
  });

  it('never shows purchased, excluded or unavailable items, and keeps categories varied', async () => {
    await registerModel(h.store, 'v1');
    const listed = new Date(Date.now() - 3600_000).toISOString();
    await putCatalog(h.store, [
      ...Array.from({ length: 10 }, (_, n) => ({ item_id: itemOf(0, n), category: 'shoes' })),
      ...Array.from({ length: 10 }, (_, n) => ({ item_id: itemOf(1, n), category: n < 5 ? 'bags' : 'hats' })),
      { item_id: itemOf(0, 5), category: 'shoes', available: false },
      { item_id: 'brand-new', category: 'gifts', listed_at: listed },
    ]);
    await h.state.load();
    await features.record([view('u1', itemOf(0, 1), 60_000, 'purchase'), view('u1', itemOf(0, 2), 500)]);
    const r = await h.post({ user_id: 'u1', n: 10, exclude: [itemOf(0, 3)] });
    const ids = r.body.items.map((i) => i.item_id);
    expect(ids).toHaveLength(10);
    expect(ids).not.toContain(itemOf(0, 1)); // purchased
    expect(ids).not.toContain(itemOf(0, 3)); // excluded
    expect(ids).not.toContain(itemOf(0, 5)); // unavailable
    expect(new Set(ids).size).toBe(10);
    expect(ids.filter((id) => clusterOf(id) === 0 && id !== 'brand-new').length).toBeLessThanOrEqual(categoryCap(10));
    expect(ids.slice(0, 2).every((id) => clusterOf(id) === 0)).toBe(true); // variety never demotes the best
    expect(r.body.items.find((i) => i.item_id === 'brand-new')?.reason).toBe('new arrival');
  });

  it('tops a list the rules left short up from trending, never repeating an item or showing a blocked one', async () => {
    await registerModel(h.store, 'v1');
    const shoes = Array.from({ length: 29 }, (_, i) => ({ item_id: itemOf(Math.floor(i / 10), i % 10), category: 'shoes' }));
    await putCatalog(h.store, [
      ...shoes,
      { item_id: itemOf(2, 9), category: 'bags' },
      { item_id: 'fresh-1', category: 'hats' },
      { item_id: 'fresh-2' },
    ]);
    await h.state.load();
    const times = (n: number, itemId: string) => Array.from({ length: n }, (_, i) => view(`other-${i}`, itemId));
    await features.record([...times(5, 'bought-1'), ...times(4, itemOf(2, 9)), ...times(3, 'fresh-1'), ...times(2, 'fresh-2')]);
    await features.record([view('u1', 'bought-1', 60_000, 'purchase'), view('u1', itemOf(1, 2), 500)]);
    const r = await h.get('user_id=u1&n=10');
    const ids: string[] = r.body.items.map((i) => i.item_id);
    expect(r.body.fallback).toBeNull();
    // All but one model item are shoes: three make the cap, the bag and trending add what they can, the best skipped shoes fill the rest.
    expect(ids.slice(8)).toEqual(['fresh-1', 'fresh-2']);
    expect(r.body.items.slice(8).map((i) => i.reason)).toEqual(['popular right now', 'popular right now']);
    expect(ids.slice(0, 8).filter((id) => shoes.some((s) => s.item_id === id))).toHaveLength(7);
    expect(ids).toContain(itemOf(2, 9));
    expect(new Set(ids).size).toBe(10);
    expect(ids).not.toContain('bought-1');
  });

  it('sends the metrics it holds and releases its model when FC stops the instance', async () => {
    await registerModel(h.store, 'v1');
    await h.state.load();
    await h.get('user_id=u1&n=3');
    expect(h.metrics.latest.size).toBe(0); // held for the flush interval
    const preStop = await h.get('', { 'x-fc-control-path': '/pre-stop' });
    expect(preStop.status).toBe(200);
    expect(h.metrics.latest.get('Recommendations{"fallback":"none"}')?.value).toBe(1);
    expect(h.state.model).toBeUndefined();
  });

  it('does not take up a model that finishes loading after the instance closed', async () => {
    await registerModel(h.store, 'v1');
    const loading = h.state.load();
    h.state.close();
    await loading;
    expect(h.state.model).toBeUndefined();
  });

  it('ranks only the caller’s candidates when given', async () => {
    await registerModel(h.store, 'v1');
    await h.state.load();
    await features.record([view('u1', itemOf(2, 0))]);
    const candidates = [itemOf(0, 4), itemOf(2, 7), itemOf(1, 1), 'unknown-item'];
    const r = await h.post({ user_id: 'u1', n: 10, candidates });
    expect(r.body.items.map((i) => i.item_id).sort()).toEqual([...candidates].sort());
    expect(r.body.items[0].item_id).toBe(itemOf(2, 7));
  });

  it('ranks a candidate named twice once: no list repeats an item, by GET or POST, with a model or without', async () => {
    const ids = (r: { body: { items: { item_id: string }[] } }) => r.body.items.map((i) => i.item_id);
    for (const withModel of [false, true]) {
      if (withModel) {
        await registerModel(h.store, 'v1');
        await h.state.load();
        await features.record([view('u1', itemOf(2, 0))]);
      }
      const five = itemOf(1, 5);
      expect(ids(await h.get(`user_id=u1&n=5&candidates=${five},${five},${five}`))).toEqual([five]);
      const mixed = [itemOf(0, 4), itemOf(2, 7), itemOf(0, 4), itemOf(2, 7), itemOf(1, 1)];
      expect(ids(await h.post({ user_id: 'u1', n: 10, candidates: mixed })).sort()).toEqual(
        [itemOf(0, 4), itemOf(1, 1), itemOf(2, 7)].sort(),
      );
    }
  });

  it('serves anonymous visitors from the features ingest keeps under anon:<id>', async () => {
    await registerModel(h.store, 'v1');
    await h.state.load();
    await features.record([view('anon:d-1', itemOf(2, 3))]);
    const r = await h.get('anonymous_id=d-1&n=2');
    expect(r.body.items.every((i) => clusterOf(i.item_id) === 2)).toBe(true);
  });

  it.each([
    ['n=10', 400, 'missing_user'],
    ['user_id=a&anonymous_id=b', 400, 'missing_user'],
    ['user_id=u1&n=101', 400, 'invalid_n'],
    ['user_id=u1&n=0', 400, 'invalid_n'],
    ['user_id=u1&n=ten', 400, 'invalid_n'],
    ['user_id=u1&n=1&n=2', 400, 'invalid_n'],
  ])('rejects %s with %i %s', async (query, status, code) => {
    const r = await h.get(query);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
  });

  it('rejects bad POST bodies with a code naming the field', async () => {
    expect((await h.post({ user_id: 'u1', exclude: 'sku-1' })).body.code).toBe('invalid_exclude');
    expect((await h.post({ user_id: 'u1', candidates: [1, 2] })).body.code).toBe('invalid_candidates');
    expect((await h.post({ user_id: 'u1', n: 5.5 })).body.code).toBe('invalid_n');
    expect((await h.post([1])).body.code).toBe('invalid_body');
  });

  it('requires a signature over this method, path and query; a GET signs an empty body', async () => {
    expect((await h.get('user_id=u1', {})).status).toBe(401);
    const { signRequest } = await import('#lib/auth');
    const signedForPost = signRequest('demo', 'demo-secret', 'POST', '/v1/recommend?user_id=u1', '');
    expect((await h.get('user_id=u1', signedForPost)).body.code).toBe('bad_signature');
    const signedForIngest = signRequest('demo', 'demo-secret', 'GET', '/v1/events?user_id=u1', '');
    expect((await h.get('user_id=u1', signedForIngest)).status).toBe(401);
    expect((await h.get('user_id=u1', signRequest('demo', 'demo-secret', 'GET', '/v1/recommend?user_id=u1', ''))).status).toBe(200);
  });
});

describe('recommend after a campaign message', () => {
  const HOUR = 3600_000;
  const sms = (items: string[], run: string, ageMs: number, outcome = 'sent'): Contact => ({
    channel: 'sms',
    at: Date.now() - ageMs,
    items,
    campaign: run.split('@')[0],
    run,
    outcome,
  });
  let ledger: ReturnType<typeof onTestPrefix<RedisContactLedger>>;
  let features: MemoryFeatureStore;

  beforeEach(() => {
    ledger = onTestPrefix((url, prefix) => new RedisContactLedger({ url, prefix }));
    features = new MemoryFeatureStore();
  });
  afterEach(() => ledger.teardown());

  const topThree = async (h: RecommendHarness, user: string) => (await h.get(`user_id=${user}&n=3`)).body.items.map((i) => i.item_id);

  it('demotes the items the person was just messaged about, read from the contact ledger in Redis', async () => {
    const h = await startRecommend({ features, contacts: ledger.adapter, load: false });
    try {
      await registerModel(h.store, 'v1');
      await h.state.load();
      // u0 did what u1 did and was never messaged: u1's list as it would be.
      await features.record([view('u1', itemOf(1, 2), 5000, 'page_view'), view('u0', itemOf(1, 2), 5000, 'page_view')]);
      const before = await topThree(h, 'u0');
      expect(before).toHaveLength(3);

      await ledger.adapter.noteContacts([
        ['u1', sms([before[0]], 'spring@r1', HOUR)], // messaged an hour ago: demoted
        ['u1', sms([before[1]], 'spring@r2', 2 * HOUR)],
        ['u1', sms([], 'spring@r2', HOUR, 'undelivered:MOBILE_NOT_ON_SERVICE')], // never reached them: not demoted
        ['u1', sms([before[2]], 'autumn@r0', 5 * 24 * HOUR)], // older than the three days: not demoted
        ['u1', { channel: 'shown', at: Date.now() - HOUR, items: [before[1]] }], // shown, not messaged
        ['u2', sms([before[1]], 'spring@r1', HOUR)], // another person's message
      ]);
      const after = await topThree(h, 'u1');
      expect(after).not.toContain(before[0]);
      expect(after).toEqual(expect.arrayContaining([before[1], before[2]]));
      expect(after.every((id) => clusterOf(id) === 1)).toBe(true);

      const all = (await h.get('user_id=u1&n=30')).body.items.map((i) => i.item_id);
      expect(all).toContain(before[0]); // demoted, not hidden: it still fills a long list
      expect(all.indexOf(before[0])).toBeGreaterThan(all.indexOf(before[1]));
    } finally {
      await h.close();
    }
  });

  it('ranks as usual when the contact ledger fails, without calling it a fallback', async () => {
    const down = { contactsOf: () => Promise.reject(new Error('ECONNREFUSED')) } as unknown as ContactLedger;
    const h = await startRecommend({ features, contacts: down, load: false });
    try {
      await registerModel(h.store, 'v1');
      await h.state.load();
      await features.record([view('u1', itemOf(1, 2), 5000, 'page_view')]);
      const r = await h.get('user_id=u1&n=3');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ model_version: 'v1', fallback: null });
      expect(r.body.items).toHaveLength(3);
    } finally {
      await h.close();
    }
  });
});
