/**
 * The serving half of bench:recommend and bench:scale, once a model is registered and the served
 * users' features are in Redis: the platform's recommend at concurrency 32 against the bare
 * koa + one read + one run baseline, in the same run under the same load; then cold starts of
 * fresh instances as FC starts them (s.yaml's node flags, /initialize, the first 200).
 */
import type { ChildProcess } from 'node:child_process';
import { signRequest } from '#lib/auth';
import { requestTokens } from '../lib/ingestClient';
import { runPhase, type PhaseResult } from './load';
import { freePort, type BenchEnvironment } from './processes';
import { encodeRequest } from './rawHttp';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const COLD_STARTS = 3;
/** As s.yaml starts recommend. */
const NODE_FLAGS = ['--max-semi-space-size=32'];

/** The bench's user and item ids (both benchmarks' data and their requests use these). */
export const benchUser = (u: number) => `bench-u${u}`;
export const benchItem = (i: number) => `sku-${i}`;
const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Requests are signed and encoded before a phase starts (a real client does that on its own
 * device), so the shared CPU goes to serving, not to the load generator. Enough for 6,000 req/s.
 */
function preparedRequests(baseUrl: string, servedUsers: number, tokens?: Map<string, string>): Buffer[] {
  const { hostname, port, pathname } = new URL(baseUrl);
  const path = `${pathname.replace(/\/$/, '')}/v1/recommend`;
  return Array.from({ length: 6000 * (SECONDS + 2) }, (_, i) => {
    const user = benchUser(i % servedUsers);
    return encodeRequest(
      hostname,
      Number(port),
      'GET',
      `${path}?user_id=${user}&n=10`,
      tokens ? { authorization: `Bearer ${tokens.get(user)}` } : {},
      '',
    );
  });
}

/**
 * `tokens`: each user's mini-program token (the platform checks them; the bare baseline has no auth).
 * An answer that falls back counts as an error.
 */
async function measure(
  label: string,
  baseUrl: string,
  servedUsers: number,
  tokens: Map<string, string> | undefined,
  pid?: number,
): Promise<PhaseResult> {
  const requests = preparedRequests(baseUrl, servedUsers, tokens);
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
  const cpu = r.server_cpu_ms ? `  server cpu ${r.server_cpu_ms.toFixed(3)} ms/req (main thread ${r.server_main_cpu_ms!.toFixed(3)})` : '';
  log(
    `${label.padEnd(9)} c=${CONCURRENCY}  ${r.rps.toFixed(0).padStart(6)} req/s  p50 ` +
      `${r.p50_ms.toFixed(2).padStart(6)} ms  p99 ${r.p99_ms.toFixed(2).padStart(6)} ms  errors ${r.errors}${why}${cpu}`,
  );
  return r;
}

export interface RecommendInstance {
  coldStartMs: number;
  child: ChildProcess;
  ask(): Promise<{ status: number; body: { model_version: string | null } }>;
}

/** A fresh recommend instance as FC starts one: ms to its first 200 with a model, and the instance to use further. */
export async function startInstance(bench: BenchEnvironment, env: Record<string, string> = {}): Promise<RecommendInstance> {
  const port = await freePort();
  const started = performance.now();
  const child = bench.spawnNode([...NODE_FLAGS, 'dist/recommend/index.js'], { ...bench.env, ...env, FC_CUSTOM_LISTEN_PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const init = await fetch(url, { method: 'POST', headers: { 'x-fc-control-path': '/initialize' } }).catch(() => undefined);
    if (init?.status === 200) break;
    if (performance.now() - started > 60_000) throw new Error('recommend instance did not start within 60 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  const ask = async () => {
    const path = `/v1/recommend?user_id=${benchUser(1)}&n=10`;
    const reply = await fetch(`${url}${path}`, { headers: { ...signRequest('demo', 'demo-secret', 'GET', path, '') } });
    return { status: reply.status, body: (await reply.json()) as { model_version: string | null } };
  };
  const first = await ask();
  if (first.status !== 200 || !first.body.model_version)
    throw new Error(`first request answered ${first.status} ${JSON.stringify(first.body)}`);
  return { coldStartMs: performance.now() - started, child, ask };
}

export interface ServingFigures {
  p50_ms: number;
  p99_ms: number;
  rps: number;
  errors: number;
  baseline_p99_ms: number;
  baseline_rps: number;
  overhead_ratio: number;
  /** The median of three. */
  cold_start_ms: number;
}

/** Serves what the registry holds to the first `servedUsers` bench users, then starts fresh instances; every phase's line is printed. */
export async function measureServing(bench: BenchEnvironment, servedUsers: number): Promise<ServingFigures> {
  const platform = await bench.platform(NODE_FLAGS);
  const bare = await bench.serve(['--import', 'tsx', 'scripts/bench/bareRecommend.ts'], /bare recommend at (http:\/\/[\d.:]+)/);
  log(`GET /v1/recommend n=10, concurrency ${CONCURRENCY}, ${SECONDS} s each; Redis ${bench.redisUrl}`);
  const base = platform.url.replace(/\/$/, '');
  const tokens = await requestTokens(
    { baseUrl: `${base}/ingest` },
    Array.from({ length: servedUsers }, (_, u) => benchUser(u)),
  );
  const served = await measure('recommend', `${base}/recommend`, servedUsers, tokens, platform.pid);
  const baseline = await measure('baseline', bare.url, servedUsers, undefined, bare.pid);
  bench.stopAll();

  const colds: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const instance = await startInstance(bench);
    colds.push(instance.coldStartMs);
    instance.child.kill('SIGKILL');
  }
  log(`cold start (process start → first 200, model load included): ${colds.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`);
  return {
    p50_ms: Number(served.p50_ms.toFixed(2)),
    p99_ms: Number(served.p99_ms.toFixed(2)),
    rps: Math.round(served.rps),
    errors: served.errors,
    baseline_p99_ms: Number(baseline.p99_ms.toFixed(2)),
    baseline_rps: Math.round(baseline.rps),
    overhead_ratio: Number((served.p99_ms / baseline.p99_ms).toFixed(2)),
    cold_start_ms: Math.round([...colds].sort((a, b) => a - b)[Math.floor(colds.length / 2)]),
  };
}
