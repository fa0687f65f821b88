/** A closed-loop HTTP load generator: N clients, each sending its next request when the last one answers. */
import { readFileSync } from 'node:fs';
import { RawHttpConnection } from './rawHttp';

export interface PhaseResult {
  concurrency: number;
  /** CPU the server process spent per request (ms), when its pid is known (Linux). */
  server_cpu_ms?: number;
  /** Of which its main (event-loop) thread. */
  server_main_cpu_ms?: number;
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

/** Sends one request on the given client's connection. */
export type Send = (connection: RawHttpConnection) => Promise<{ ok: boolean }>;

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;

/** User + system CPU seconds of a process (or, with `thread`, one of its threads) so far, from /proc (Linux only). */
export function cpuSeconds(pid: number, thread?: number): number | undefined {
  try {
    const fields = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8')
      .split(') ')[1]
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export async function runPhase(
  url: string,
  concurrency: number,
  seconds: number,
  send: Send,
  warmupSeconds = 1,
  serverPid?: number,
): Promise<PhaseResult> {
  const { hostname, port } = new URL(url);
  const latencies: number[] = [];
  let errors = 0;
  let measuring = false;
  let stop = false;
  const client = async () => {
    const connection = new RawHttpConnection(hostname, Number(port));
    while (!stop) {
      const t = performance.now();
      const r = await send(connection).catch(() => ({ ok: false }));
      if (!measuring) continue;
      if (r.ok) latencies.push(performance.now() - t);
      else errors++;
    }
    connection.close();
  };
  const clients = Array.from({ length: concurrency }, client);
  await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
  measuring = true;
  const started = performance.now();
  const cpuBefore = serverPid ? cpuSeconds(serverPid) : undefined;
  const mainBefore = serverPid ? cpuSeconds(serverPid, serverPid) : undefined;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const cpuAfter = serverPid ? cpuSeconds(serverPid) : undefined;
  const mainAfter = serverPid ? cpuSeconds(serverPid, serverPid) : undefined;
  const elapsed = (performance.now() - started) / 1000;
  stop = true;
  await Promise.all(clients);
  latencies.sort((a, b) => a - b);
  const perRequestMs = (before?: number, after?: number) =>
    before !== undefined && after !== undefined ? ((after - before) * 1000) / (latencies.length + errors) : undefined;
  return {
    concurrency,
    server_cpu_ms: perRequestMs(cpuBefore, cpuAfter),
    server_main_cpu_ms: perRequestMs(mainBefore, mainAfter),
    requests: latencies.length,
    errors,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50_ms: percentile(latencies, 0.5),
    p99_ms: percentile(latencies, 0.99),
  };
}

/** Waits for a child process to print a line matching `pattern`; returns the match. */
export function waitForLine(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}:\n${seen}`)), timeoutMs);
    stream.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}
