/**
 * `npm run bench:recommend`: a trained model over 3,706 items and 5,000 users' features in
 * Redis; then, at concurrency 32 for n=10 over the whole catalogue, the platform's recommend
 * and, in the same run under the same load, the bare koa + one read + one run baseline; then
 * the cold start of a fresh recommend instance (process start to first 200, model load
 * included). Starts the local platform itself unless MKT_URL points at a running one.
 * The last line is JSON: p50_ms, p99_ms, rps, baseline_p99_ms, overhead_ratio, cold_start_ms.
 */
import { signRequest } from '#lib/auth';
import { requestTokens } from '../lib/ingestClient';
import { runPhase, type PhaseResult } from './load';
import { encodeRequest } from './rawHttp';
import { freePort, runBench, type BenchEnvironment } from './processes';
import { prepareModel, populateFeatures, SERVED_USERS } from './recommendData';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const COLD_STARTS = 3;

/**
 * Requests are signed and encoded before a phase starts (a real client does that on its own
 * device), so the shared CPU goes to serving, not to the load generator. Enough for 6,000 req/s.
 */
function preparedRequests(baseUrl: string, tokens?: Map<string, string>): Buffer[] {
  const { hostname, port, pathname } = new URL(baseUrl);
  const path = `${pathname.replace(/\/$/, '')}/v1/recommend`;
  return Array.from({ length: 6000 * (SECONDS + 2) }, (_, i) => {
    const user = `bench-u${i % SERVED_USERS}`;
    const headers: Record<string, string> = tokens ? { authorization: `Bearer ${tokens.get(user)}` } : {};
    return encodeRequest(hostname, Number(port), 'GET', `${path}?user_id=${user}&n=10`, headers, '');
  });
}

/** `tokens`: each user's mini-program token (the platform checks them; the bare baseline has no auth). */
async function measure(label: string, baseUrl: string, tokens: Map<string, string> | undefined, serverPid?: number): Promise<PhaseResult> {
  const requests = preparedRequests(baseUrl, tokens);
  let sent = 0;
  const r = await runPhase(
    baseUrl,
    CONCURRENCY,
    SECONDS,
    async (connection) => {
      const reply = await connection.send(requests[sent++ % requests.length]);
      return { ok: reply.status === 200 && reply.body.includes('"item_id"') && !reply.body.includes('"fallback":"') };
    },
    2,
    serverPid,
  );
  process.stdout.write(
    `${label.padEnd(9)} c=${CONCURRENCY}  ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50_ms.toFixed(2).padStart(6)} ms  p99 ${r.p99_ms.toFixed(2).padStart(6)} ms  errors ${r.errors}${r.server_cpu_ms ? `  server cpu ${r.server_cpu_ms.toFixed(3)} ms/req (main thread ${r.server_main_cpu_ms!.toFixed(3)})` : ''}\n`,
  );
  return r;
}

/** Starts `dist/recommend/index.js` as FC starts an instance; ms until its first 200 (after /initialize). */
async function coldStart(bench: BenchEnvironment): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = bench.spawnNode(['dist/recommend/index.js'], { ...bench.env, FC_CUSTOM_LISTEN_PORT: String(port) });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (;;) {
      const init = await fetch(url, { method: 'POST', headers: { 'x-fc-control-path': '/initialize' } }).catch(() => undefined);
      if (init?.status === 200) break;
      if (performance.now() - started > 30_000) throw new Error('recommend instance did not start within 30 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    const reply = await fetch(`${url}/v1/recommend?user_id=bench-u1&n=10`, { headers: { ...signRequest('demo', 'demo-secret', 'GET', '/v1/recommend?user_id=bench-u1&n=10', '') } });
    const body = (await reply.json()) as { model_version: string | null };
    if (reply.status !== 200 || !body.model_version) throw new Error(`first request answered ${reply.status} ${JSON.stringify(body)}`);
    return performance.now() - started;
  } finally {
    child.kill('SIGKILL');
  }
}

runBench(async (bench) => {
  const model = await prepareModel(bench.env.LOCAL_OSS_DIR);
  await populateFeatures(bench.redisUrl, bench.prefix);
  process.stdout.write(`model ${model.version}: ${(model.bytes / 2 ** 20).toFixed(1)} MiB ONNX, trained in ${model.trainS.toFixed(1)} s; ${SERVED_USERS} users' features in Redis\n`);

  const platform = await bench.platform(['--max-semi-space-size=32']);
  const bare = await bench.serve(['--import', 'tsx', 'scripts/bench/bareRecommend.ts'], /bare recommend at (http:\/\/[\d.:]+)/);
  process.stdout.write(`GET /v1/recommend n=10, concurrency ${CONCURRENCY}, ${SECONDS} s each; Redis ${bench.redisUrl}\n`);
  const base = platform.url.replace(/\/$/, '');
  const tokens = await requestTokens({ baseUrl: `${base}/ingest` }, Array.from({ length: SERVED_USERS }, (_, i) => `bench-u${i}`));
  const served = await measure('recommend', `${base}/recommend`, tokens, platform.pid);
  const baseline = await measure('baseline', bare.url, undefined, bare.pid);
  bench.stopAll();

  const colds: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) colds.push(await coldStart(bench));
  process.stdout.write(`cold start (process start → first 200, model load included): ${colds.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}\n`);

  const summary = {
    p50_ms: Number(served.p50_ms.toFixed(2)),
    p99_ms: Number(served.p99_ms.toFixed(2)),
    rps: Math.round(served.rps),
    errors: served.errors,
    baseline_p99_ms: Number(baseline.p99_ms.toFixed(2)),
    baseline_rps: Math.round(baseline.rps),
    overhead_ratio: Number((served.p99_ms / baseline.p99_ms).toFixed(2)),
    cold_start_ms: Math.round([...colds].sort((a, b) => a - b)[Math.floor(colds.length / 2)]),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
});
