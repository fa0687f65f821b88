/** The recommend app over real HTTP, with a registry in a local object store and a model trained by the test. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authenticatorFor, signRequest, type AppSecrets, type Authenticator } from '#lib/auth';
import type { ContactLedger } from '#lib/contacts';
import { MemoryContactLedger } from '#lib/contacts/memoryLedger';
import type { FeatureStore } from '#lib/featureStore';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { seededRandom } from '#lib/random';
import { createLogger } from '#lib/log';
import { LocalMetricsSink } from '#lib/metrics/localSink';
import { MetricsRecorder } from '#lib/metrics/recorder';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { fitAls } from '#models/als/als';
import { nearestItems } from '#models/als/neighbours';
import { rotate } from '#models/als/rotation';
import { fitEase } from '#models/ease/ease';
import { unevaluatedMeta } from '#models/recommender/unevaluated';
import { exportEaseRecommender, exportRecommender } from '#models/recommender/graph';
import { RECOMMENDER_MODEL } from '#models/recommender/served';
import { ModelRegistry } from '#models/registry';
import { csrFromLists } from '#models/sparse/csr';
import { createRecommendApp } from '../../functions/recommend/app';
import { CATALOG_KEY } from '#lib/objectStore/keys';
import { MessagedItems } from '../../functions/recommend/messaged';
import { ServingState } from '../../functions/recommend/servingState';
import { TrendingItems } from '../../functions/recommend/trending';

export const CLUSTERS = 3;
export const PER_CLUSTER = 10;
/** Items `c<cluster>-<n>`; users like items of one cluster, so a model learns the clusters. */
export const itemOf = (cluster: number, n: number) => `c${cluster}-${n}`;
export const clusterOf = (itemId: string) => Number(itemId.slice(1, itemId.indexOf('-')));
const ITEM_IDS = Array.from({ length: CLUSTERS * PER_CLUSTER }, (_, i) => itemOf(Math.floor(i / PER_CLUSTER), i % PER_CLUSTER));

/** Users who touch items of one cluster. */
function clusteredUsers(seed: number): number[][] {
  const rand = seededRandom(seed);
  return Array.from({ length: 300 }, (_, u) => {
    const cluster = u % CLUSTERS;
    return [...new Set(Array.from({ length: 4 }, () => cluster * PER_CLUSTER + Math.floor(rand() * PER_CLUSTER)))];
  });
}

/** Trains and registers a clustered EASE model; `extraIds` are ids past the model's size (a broken model). */
export async function registerModel(
  store: LocalObjectStore,
  version: string,
  options: { promote?: boolean; extraIds?: string[]; seed?: number } = {},
) {
  const byUser = clusteredUsers(options.seed ?? 5);
  const model = await fitEase(byUser, ITEM_IDS.length, 5);
  const meta = unevaluatedMeta({
    version,
    itemIds: [...ITEM_IDS, ...(options.extraIds ?? [])],
    popular: [itemOf(2, 9), itemOf(2, 8)],
    lambda: 5,
    source: 'test',
  });
  const registry = new ModelRegistry(store);
  await registry.register(meta, exportEaseRecommender(model));
  if (options.promote !== false) await registry.promote(RECOMMENDER_MODEL, version);
}

/** Trains and registers (and promotes) a clustered ALS model served by recall from each item's `perItem` nearest items. */
export async function registerRecallModel(store: LocalObjectStore, version: string, perItem = 4) {
  const fit = await fitAls(csrFromLists(clusteredUsers(5), ITEM_IDS.length), { dim: 8, reg: 0.01, unobserved: 0.1, epochs: 8 });
  const model = await rotate(fit.model);
  const neighbours = await nearestItems(model, perItem);
  const params = { family: 'als', recency: { boost: 0, tau: 1 }, recall: perItem };
  const registry = new ModelRegistry(store);
  await registry.register(
    unevaluatedMeta({ version, itemIds: ITEM_IDS, popular: [itemOf(2, 9)], source: 'test', params }),
    exportRecommender({ items: ITEM_IDS.length, als: { model, weight: 1 }, neighbours }),
  );
  await registry.promote(RECOMMENDER_MODEL, version);
}

export async function putCatalog(store: LocalObjectStore, lines: Record<string, unknown>[]) {
  await store.put(CATALOG_KEY, Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n')));
}

export interface RecommendHarness {
  baseUrl: string;
  store: LocalObjectStore;
  state: ServingState;
  metrics: LocalMetricsSink;
  /** What the instance logged, one JSON line each. */
  logs: string[];
  auth: Authenticator;
  get(query: string, headers?: object): Promise<Reply>;
  post(body: unknown): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: {
    items: { item_id: string; score: number; reason: string }[];
    model_version: string | null;
    fallback: string | null;
    took_ms: number;
    code?: string;
    message?: string;
  };
}

function request(url: string, method: string, headers: object, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: headers as http.OutgoingHttpHeaders, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function startRecommend(
  o: {
    secrets?: AppSecrets;
    features?: FeatureStore;
    contacts?: ContactLedger;
    store?: LocalObjectStore;
    budgetMs?: number;
    featureBudgetMs?: number;
    load?: boolean;
  } = {},
): Promise<RecommendHarness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-recommend-'));
  const store = o.store ?? new LocalObjectStore(dir, 'bucket');
  const features = o.features ?? new MemoryFeatureStore();
  const logs: string[] = [];
  const logger = createLogger({}, (line) => logs.push(line));
  const metrics = new LocalMetricsSink();
  const auth = authenticatorFor(o.secrets ?? { demo: ['demo-secret'] }, features, Date.now);
  const state = new ServingState({ store, checkEveryMs: 50, logger });
  if (o.load !== false) await state.load();
  const app = createRecommendApp({
    features,
    messaged: new MessagedItems(o.contacts ?? new MemoryContactLedger(), 3, Date.now, logger),
    state,
    trending: new TrendingItems(features, Date.now),
    metrics: new MetricsRecorder(metrics),
    logger,
    clock: Date.now,
    auth,
    budgetMs: o.budgetMs ?? 200,
    featureBudgetMs: o.featureBudgetMs ?? 100,
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    store,
    state,
    metrics,
    logs,
    auth,
    get: (query, headers) =>
      request(
        `${baseUrl}/v1/recommend?${query}`,
        'GET',
        headers ?? signRequest('demo', 'demo-secret', 'GET', `/v1/recommend?${query}`, ''),
      ),
    post: (body) => {
      const text = JSON.stringify(body);
      return request(
        `${baseUrl}/v1/recommend`,
        'POST',
        { 'content-type': 'application/json', ...signRequest('demo', 'demo-secret', 'POST', '/v1/recommend', text) },
        text,
      );
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      state.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
