/**
 * `npm run bench:scale`: the recommendation model at a shop's scale. A synthetic shop
 * (BENCH_USERS 1,000,000 users, BENCH_ITEMS 100,000 items, BENCH_INTERACTIONS 20,000,000
 * interactions with a Zipf popularity skew) is trained by train's own use case (tuning on a
 * sample, the choice, evaluation, the refit, export) into a local registry; then the platform
 * serves it: recommend at concurrency 32 against the bare baseline (one feature read, one model
 * run), the cold start of a fresh instance, and an instance's peak memory across a swap to a
 * second version (both loaded at once). Smaller sizes by env run the same path in minutes.
 * The last line is JSON: users, items, interactions, train_s, peak_rss_mb, model_mb, the
 * evaluation, p99_ms, overhead_ratio, cold_start_ms, serving_peak_rss_mb.
 */
import { readFileSync } from 'node:fs';
import { CATALOG_KEY } from '#lib/objectStore/keys';
import { RedisFeatureStore } from '#lib/featureStore/redisStore';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { RECOMMENDER_MODEL } from '#models/recommender/served';
import { ModelRegistry } from '#models/registry';
import { trainRecommender } from '../../functions/train/trainRecommender';
import { runBench, type BenchEnvironment } from './processes';
import { benchItem as itemId, benchUser, measureServing, startInstance } from './recommendServing';
import { syntheticShop } from './syntheticShop';

const size = {
  users: Number(process.env.BENCH_USERS ?? 1_000_000),
  items: Number(process.env.BENCH_ITEMS ?? 100_000),
  interactions: Number(process.env.BENCH_INTERACTIONS ?? 20_000_000),
};
const SERVED_USERS = Math.min(5000, size.users);
const RECENT = 20;
const BUCKET = 'mkt-data';

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const log = (line: string) => process.stdout.write(`${line}\n`);

/** Each served user's last RECENT items as views (a cart now and then), through the real feature store. */
async function populateFeatures(bench: BenchEnvironment, byUser: number[][]): Promise<void> {
  const store = new RedisFeatureStore({ url: bench.redisUrl, prefix: bench.prefix, commandTimeoutMs: 10_000 });
  const now = Date.now();
  for (let first = 0; first < SERVED_USERS; first += 250) {
    const events = [];
    for (let u = first; u < Math.min(first + 250, SERVED_USERS); u++) {
      const recent = byUser[u].slice(-RECENT);
      events.push(
        ...recent.map((i, k) => ({
          userId: benchUser(u),
          type: k % 4 === 0 ? 'add_to_cart' : 'page_view',
          ts: now - (recent.length - k) * 60_000,
          itemId: itemId(i),
        })),
      );
    }
    await store.record(events);
  }
  await store.close();
}

/** Peak resident memory of a process so far (Linux). */
const peakRssMb = (pid: number) => Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);

runBench(async (bench) => {
  log(`shop: ${size.users} users, ${size.items} items, ${size.interactions} interactions wanted`);
  let started = performance.now();
  let shop: ReturnType<typeof syntheticShop> | undefined = syntheticShop(size);
  log(`generated ${shop.interactions} interactions in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const store = new LocalObjectStore(bench.env.LOCAL_OSS_DIR, BUCKET);
  const registry = new ModelRegistry(store);
  const logger = createLogger({}, (line) => {
    const { msg, stage } = JSON.parse(line) as { msg: string; stage?: string };
    log(`  ${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s  ${stage ?? msg}`);
  });
  const itemIds = Array.from({ length: size.items }, (_, i) => itemId(i));
  started = performance.now();
  const trained = await trainRecommender(
    { registry, logger, clock: Date.now, provider: 'cpu' },
    { byUser: shop.byUser, itemIds, chronological: true, source: 'bench-scale', window: {} },
  );
  const trainS = (performance.now() - started) / 1000;
  const trainPeakRssMb = mb(process.resourceUsage().maxRSS * 1024);
  const model = (await registry.model(RECOMMENDER_MODEL, trained.version))!;
  const meta = (await registry.meta(RECOMMENDER_MODEL, trained.version))!;
  log(
    `trained ${trained.version} (${meta.params.family}) in ${trainS.toFixed(0)} s: ` +
      `${JSON.stringify(trained.metrics)}; ${mb(model.length)} MiB ONNX; peak RSS ${trainPeakRssMb} MiB`,
  );

  const catalogue = itemIds.map((id, i) =>
    JSON.stringify({ item_id: id, category: `cat-${shop!.categoryOf(i)}`, available: i % 50 !== 7 }),
  );
  await store.put(CATALOG_KEY, Buffer.from(catalogue.join('\n')));
  await populateFeatures(bench, shop.byUser);
  const interactions = shop.interactions;
  shop = undefined; // the serving phases need the memory more

  const serving = await measureServing(bench, SERVED_USERS);

  // Two versions at once: an instance serving v1 sees v2 promoted and loads it beside v1 before releasing v1.
  const instance = await startInstance(bench, { MKT_MODEL_CHECK_S: '1' });
  const oneVersionMb = peakRssMb(instance.child.pid!);
  await registry.register({ ...meta, version: `${meta.version}-b` }, model);
  await registry.promote(RECOMMENDER_MODEL, `${meta.version}-b`);
  const swapStarted = performance.now();
  while ((await instance.ask()).body.model_version !== `${meta.version}-b`) {
    if (performance.now() - swapStarted > 60_000) throw new Error('the instance did not take up the second version within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  await instance.ask();
  const twoVersionsMb = peakRssMb(instance.child.pid!);
  instance.child.kill('SIGKILL');
  log(`recommend instance peak RSS: ${oneVersionMb} MiB with one version, ${twoVersionsMb} MiB across the swap to a second`);

  log(
    JSON.stringify({
      users: size.users,
      items: size.items,
      interactions,
      train_s: Math.round(trainS),
      peak_rss_mb: trainPeakRssMb,
      model_mb: mb(model.length),
      family: meta.params.family,
      metrics: trained.metrics,
      ...serving,
      serving_peak_rss_mb: twoVersionsMb,
    }),
  );
});
