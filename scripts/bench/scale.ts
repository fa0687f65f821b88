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
import { signRequest } from '#lib/auth';
import { CATALOG_KEY } from '#lib/catalog';
import { RedisFeatureStore } from '#lib/featureStore/redisStore';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { MODEL_NAME } from '#models/ease/serving';
import { ModelRegistry } from '#models/registry';
import { trainEase } from '../../functions/train/trainEase';
import { requestTokens } from '../lib/ingestClient';
import { runPhase, type PhaseResult } from './load';
import { freePort, runBench, type BenchEnvironment } from './processes';
import { encodeRequest } from './rawHttp';
import { syntheticShop } from './syntheticShop';

const size = {
  users: Number(process.env.BENCH_USERS ?? 1_000_000),
  items: Number(process.env.BENCH_ITEMS ?? 100_000),
  interactions: Number(process.env.BENCH_INTERACTIONS ?? 20_000_000),
};
const CONCURRENCY = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const SERVED_USERS = Math.min(5000, size.users);
const RECENT = 20;
const BUCKET = 'mkt-data';

const itemId = (i: number) => `sku-${i}`;
const userId = (u: number) => `bench-u${u}`;
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
      events.push(...recent.map((i, k) => ({ userId: userId(u), type: k % 4 === 0 ? 'add_to_cart' : 'page_view', ts: now - (recent.length - k) * 60_000, itemId: itemId(i) })));
    }
    await store.record(events);
  }
  await store.close();
}

/** Requests signed and encoded before the phase (as recommend's bench does), so the CPU goes to serving. */
function preparedRequests(baseUrl: string, tokens?: Map<string, string>): Buffer[] {
  const { hostname, port, pathname } = new URL(baseUrl);
  const path = `${pathname.replace(/\/$/, '')}/v1/recommend`;
  return Array.from({ length: 6000 * (SECONDS + 2) }, (_, i) => {
    const user = userId(i % SERVED_USERS);
    return encodeRequest(hostname, Number(port), 'GET', `${path}?user_id=${user}&n=10`, tokens ? { authorization: `Bearer ${tokens.get(user)}` } : {}, '');
  });
}

async function measure(label: string, baseUrl: string, tokens: Map<string, string> | undefined, pid?: number): Promise<PhaseResult> {
  const requests = preparedRequests(baseUrl, tokens);
  const fallbacks = new Map<string, number>();
  let sent = 0;
  const r = await runPhase(
    baseUrl,
    CONCURRENCY,
    SECONDS,
    async (connection) => {
      const reply = await connection.send(requests[sent++ % requests.length]);
      const fallback = reply.body.includes('"fallback":"') ? /"fallback":"(\w+)"/.exec(reply.body.toString())![1] : undefined;
      if (fallback) fallbacks.set(fallback, (fallbacks.get(fallback) ?? 0) + 1);
      return { ok: reply.status === 200 && reply.body.includes('"item_id"') && !fallback };
    },
    2,
    pid,
  );
  const why = fallbacks.size ? ` (${[...fallbacks].map(([f, n]) => `${f} ${n}`).join(', ')}, warm-up included)` : '';
  log(`${label.padEnd(9)} c=${CONCURRENCY}  ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50_ms.toFixed(2)} ms  p99 ${r.p99_ms.toFixed(2)} ms  errors ${r.errors}${why}${r.server_cpu_ms ? `  server cpu ${r.server_cpu_ms.toFixed(3)} ms/req` : ''}`);
  return r;
}

/** A fresh recommend instance as FC starts one: ms to its first 200 with a model, and the instance to use further. */
async function startInstance(bench: BenchEnvironment, env: Record<string, string> = {}) {
  const port = await freePort();
  const started = performance.now();
  const child = bench.spawnNode(['--max-semi-space-size=32', 'dist/recommend/index.js'], { ...bench.env, ...env, FC_CUSTOM_LISTEN_PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const init = await fetch(url, { method: 'POST', headers: { 'x-fc-control-path': '/initialize' } }).catch(() => undefined);
    if (init?.status === 200) break;
    if (performance.now() - started > 60_000) throw new Error('recommend instance did not start within 60 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  const ask = async () => {
    const path = '/v1/recommend?user_id=bench-u1&n=10';
    const reply = await fetch(`${url}${path}`, { headers: { ...signRequest('demo', 'demo-secret', 'GET', path, '') } });
    return { status: reply.status, body: (await reply.json()) as { model_version: string | null } };
  };
  const first = await ask();
  if (first.status !== 200 || !first.body.model_version) throw new Error(`first request answered ${first.status} ${JSON.stringify(first.body)}`);
  return { coldStartMs: performance.now() - started, child, ask };
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
  const trained = await trainEase({ registry, logger, clock: Date.now, provider: 'cpu' }, { byUser: shop.byUser, itemIds, chronological: true, source: 'bench-scale', window: {} });
  const trainS = (performance.now() - started) / 1000;
  const trainPeakRssMb = mb(process.resourceUsage().maxRSS * 1024);
  const model = (await registry.model(MODEL_NAME, trained.version))!;
  const meta = (await registry.meta(MODEL_NAME, trained.version))!;
  log(`trained ${trained.version} (${meta.params.family}) in ${trainS.toFixed(0)} s: ${JSON.stringify(trained.metrics)}; ${mb(model.length)} MiB ONNX; peak RSS ${trainPeakRssMb} MiB`);

  const catalogue = itemIds.map((id, i) => JSON.stringify({ item_id: id, category: `cat-${shop!.categoryOf(i)}`, available: i % 50 !== 7 }));
  await store.put(CATALOG_KEY, Buffer.from(catalogue.join('\n')));
  await populateFeatures(bench, shop.byUser);
  const interactions = shop.interactions;
  shop = undefined; // the serving phases need the memory more

  const platform = await bench.platform(['--max-semi-space-size=32']);
  const bare = await bench.serve(['--import', 'tsx', 'scripts/bench/bareRecommend.ts'], /bare recommend at (http:\/\/[\d.:]+)/);
  const base = platform.url.replace(/\/$/, '');
  const tokens = await requestTokens({ baseUrl: `${base}/ingest` }, Array.from({ length: SERVED_USERS }, (_, u) => userId(u)));
  const served = await measure('recommend', `${base}/recommend`, tokens, platform.pid);
  const baseline = await measure('baseline', bare.url, undefined, bare.pid);
  bench.stopAll();

  const colds: number[] = [];
  for (let i = 0; i < 3; i++) {
    const instance = await startInstance(bench);
    colds.push(instance.coldStartMs);
    instance.child.kill('SIGKILL');
  }
  log(`cold start (process start → first 200, model load included): ${colds.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`);

  // Two versions at once: an instance serving v1 sees v2 promoted and loads it beside v1 before releasing v1.
  const instance = await startInstance(bench, { MKT_MODEL_CHECK_S: '1' });
  const oneVersionMb = peakRssMb(instance.child.pid!);
  await registry.register({ ...meta, version: `${meta.version}-b` }, model);
  await registry.promote(MODEL_NAME, `${meta.version}-b`);
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
      p50_ms: Number(served.p50_ms.toFixed(2)),
      p99_ms: Number(served.p99_ms.toFixed(2)),
      rps: Math.round(served.rps),
      errors: served.errors,
      baseline_p99_ms: Number(baseline.p99_ms.toFixed(2)),
      overhead_ratio: Number((served.p99_ms / baseline.p99_ms).toFixed(2)),
      cold_start_ms: Math.round([...colds].sort((a, b) => a - b)[1]),
      serving_peak_rss_mb: twoVersionsMb,
    }),
  );
});
