/**
 * The benchmark's world: a catalogue of 3,706 items (MovieLens-1M's size) in 36 categories,
 * an EASE model trained on 6,000 synthetic users who mostly stay in their favourite
 * categories, registered and promoted in a local object store, and 5,000 users' recent
 * behaviour in Redis, written through the real feature store, with each user's contact
 * history (a campaign message and what recommend showed) through the real contact ledger.
 */
import type { Contact } from '#lib/contacts';
import { RedisContactLedger } from '#lib/contacts/redisLedger';
import { RedisFeatureStore } from '#lib/featureStore/redisStore';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { seededRandom } from '#lib/random';
import { fitEase } from '#models/ease/ease';
import { unevaluatedMeta } from '#models/recommender/unevaluated';
import { exportEaseRecommender } from '#models/recommender/graph';
import { RECOMMENDER_MODEL } from '#models/recommender/served';
import { ModelRegistry } from '#models/registry';
import { CATALOG_KEY } from '#lib/objectStore/keys';
import { benchItem as itemId, benchUser } from './recommendServing';

export const ITEMS = 3706;
const CATEGORIES = 36;
const TRAIN_USERS = 6000;
export const SERVED_USERS = 5000;
export const BUCKET = 'mkt-data';

const categoryOf = (i: number) => i % CATEGORIES;

function sessionOf(rand: () => number, length: number): number[] {
  const favourite = Math.floor(rand() * CATEGORIES);
  return Array.from({ length }, () => {
    const category = rand() < 0.8 ? favourite : Math.floor(rand() * CATEGORIES);
    return category + CATEGORIES * Math.floor(rand() * rand() * (ITEMS / CATEGORIES - 1));
  });
}

/** Trains, registers and promotes the model; writes the catalogue. Returns the model bytes and version. */
export async function prepareModel(ossRoot: string): Promise<{ version: string; bytes: number; trainS: number }> {
  const rand = seededRandom(42);
  const byUser = Array.from({ length: TRAIN_USERS }, () => [...new Set(sessionOf(rand, 20))]);
  const started = performance.now();
  const model = await fitEase(byUser, ITEMS, 200);
  const trainS = (performance.now() - started) / 1000;
  const store = new LocalObjectStore(ossRoot, BUCKET);
  const onnx = exportEaseRecommender(model);
  const version = 'bench-1';
  const registry = new ModelRegistry(store);
  const itemIds = Array.from({ length: ITEMS }, (_, i) => itemId(i));
  await registry.register(unevaluatedMeta({ version, itemIds, popular: itemIds.slice(0, 200), lambda: 200, source: 'bench' }), onnx);
  await registry.promote(RECOMMENDER_MODEL, version);
  const catalogue = Array.from({ length: ITEMS }, (_, i) =>
    JSON.stringify({ item_id: itemId(i), category: `cat-${categoryOf(i)}`, available: i % 50 !== 7 }),
  );
  await store.put(CATALOG_KEY, Buffer.from(catalogue.join('\n')));
  return { version, bytes: onnx.length, trainS };
}

/**
 * Each served user: 20 recent events (views, carts, a purchase now and then); in the contact
 * history, yesterday's campaign message naming one of those items, and five lists shown.
 */
export async function populateFeatures(redisUrl: string, prefix: string): Promise<void> {
  const store = new RedisFeatureStore({ url: redisUrl, prefix, commandTimeoutMs: 10_000 });
  const ledger = new RedisContactLedger({ url: redisUrl, prefix });
  const rand = seededRandom(7);
  const now = Date.now();
  for (let first = 0; first < SERVED_USERS; first += 250) {
    const events = [];
    const contacts: [string, Contact][] = [];
    for (let u = first; u < first + 250; u++) {
      const userId = benchUser(u);
      const items = sessionOf(rand, 20);
      events.push(
        ...items.map((i, k) => ({
          userId,
          type: k === 19 && u % 3 === 0 ? 'purchase' : k % 4 === 0 ? 'add_to_cart' : 'page_view',
          ts: now - (20 - k) * 60_000,
          itemId: itemId(i),
        })),
      );
      contacts.push([
        userId,
        {
          channel: 'sms',
          at: now - 86_400_000,
          items: [itemId((items[0] + CATEGORIES) % ITEMS)],
          campaign: 'bench',
          run: 'bench@1',
          outcome: 'delivered',
        },
      ]);
      for (let k = 1; k <= 5; k++)
        contacts.push([userId, { channel: 'shown', at: now - k * 600_000, items: items.slice(k, k + 10).map(itemId) }]);
    }
    await Promise.all([store.record(events), ledger.noteContacts(contacts)]);
  }
  await Promise.all([store.close(), ledger.close()]);
}
