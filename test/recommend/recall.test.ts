/**
 * Serving a model that recalls from neighbours (ALS over a large catalogue): the list comes from
 * the neighbours of what the user just did and the trending items, ranked by the user's vector
 * folded in at request time, so new behaviour changes the next list without retraining.
 */
import type { Behaviour } from '#lib/events/behaviour';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { clusterOf, itemOf, registerRecallModel, startRecommend, type RecommendHarness } from './harness';

const event = (userId: string, itemId: string, ageMs: number, type = 'page_view'): Behaviour => ({
  userId,
  type,
  ts: Date.now() - ageMs,
  itemId,
});

describe('recommend with a recall model', () => {
  let h: RecommendHarness;
  let features: MemoryFeatureStore;

  beforeEach(async () => {
    features = new MemoryFeatureStore();
    h = await startRecommend({ features, load: false });
    await registerRecallModel(h.store, 'als-1');
    await h.state.load();
  });
  afterEach(() => h.close());

  it('recommends from the neighbours of recent behaviour, and follows new behaviour at once', async () => {
    await features.record([event('u1', itemOf(1, 2), 60_000), event('u1', itemOf(1, 5), 50_000)]);
    const before = await h.get('user_id=u1&n=3');
    expect(before.body).toMatchObject({ model_version: 'als-1', fallback: null });
    expect(before.body.items.map((i) => clusterOf(i.item_id))).toEqual([1, 1, 1]);
    expect(before.body.items[0].reason).toMatch(/^because you viewed /);

    await features.record([
      event('u1', itemOf(2, 1), 2000, 'add_to_cart'),
      event('u1', itemOf(2, 4), 1000, 'add_to_cart'),
      event('u1', itemOf(2, 6), 500, 'add_to_cart'),
    ]);
    const after = await h.get('user_id=u1&n=3');
    expect(after.body.items.map((i) => clusterOf(i.item_id))).toContain(2);
    expect(after.body.items.map((i) => i.item_id)).not.toEqual(before.body.items.map((i) => i.item_id));
  });

  it('ranks trending items the neighbours did not bring on the model’s score, with its reasons', async () => {
    await registerRecallModel(h.store, 'als-2', 1); // one neighbour per item: trending must bring the rest
    await h.state.load();
    const views = (itemId: string, n: number) => Array.from({ length: n }, (_, i) => event(`other-${i}`, itemId, 1000));
    await features.record([...views(itemOf(2, 2), 6), ...views(itemOf(0, 9), 5), ...views(itemOf(0, 8), 4)]);
    await features.record([event('u1', itemOf(0, 1), 1000)]);
    const r = await h.get('user_id=u1&n=10');
    // Without them among the candidates, the trending items would follow the model's picks as 'popular right now', in trending order.
    expect(r.body.items.map((i) => i.item_id)).toEqual(expect.arrayContaining([itemOf(2, 2), itemOf(0, 9), itemOf(0, 8)]));
    expect(r.body.items.every((i) => i.reason !== 'popular right now')).toBe(true);
    const scores = r.body.items.map((i) => i.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('scores the caller’s candidates, wherever the neighbours reach', async () => {
    await features.record([event('u1', itemOf(2, 0), 1000)]);
    const candidates = [itemOf(0, 4), itemOf(1, 1), itemOf(2, 7), 'unknown-item'];
    const r = await h.post({ user_id: 'u1', n: 10, candidates });
    expect(r.body.items.map((i) => i.item_id).sort()).toEqual([...candidates].sort());
    expect(r.body.items[0].item_id).toBe(itemOf(2, 7));
  });
});
