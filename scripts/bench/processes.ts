/**
 * What every benchmark runs in: its own Redis key prefix and temp directory, the platform
 * (started here unless MKT_URL points at a running one), tracked child processes, and a
 * clean-up of all of it however the run ends.
 */
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { waitForLine } from './load';

const root = path.resolve(__dirname, '../..');

export interface BenchEnvironment {
  redisUrl: string;
  prefix: string;
  /** The settings every process of the run shares: Redis prefix, local object store, journal, outbox. */
  env: Record<string, string>;
  /** A Node process in the project root, stdout piped (for its "listening at" line), stopped at the end. */
  spawnNode(args: string[], env?: Record<string, string>): ChildProcess;
  /** Starts a process and waits for the URL it prints. */
  serve(args: string[], listening: RegExp): Promise<{ url: string; pid?: number }>;
  /** The platform's URL (MKT_URL, or a local platform started without timers) and, when started here, its pid. */
  platform(nodeOptions?: string[]): Promise<{ url: string; pid?: number }>;
  /** Stops every process started so far (so later phases have the machine to themselves). */
  stopAll(): void;
}

async function removeKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export function runBench(body: (b: BenchEnvironment) => Promise<void>): void {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `mkt-bench:${randomUUID().slice(0, 8)}:`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-bench-'));
  const children: ChildProcess[] = [];
  const env = {
    LOG_LEVEL: 'warn',
    REDIS_URL: redisUrl,
    MKT_REDIS_PREFIX: prefix,
    LOCAL_OSS_DIR: path.join(dir, 'oss'),
    MKT_JOURNAL_DIR: path.join(dir, 'journal'),
    MKT_SMS_OUTBOX: path.join(dir, 'outbox.jsonl'),
  };
  const spawnNode = (args: string[], extra: Record<string, string> = env) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...extra }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    return child;
  };
  const serve = async (args: string[], listening: RegExp) => {
    const child = spawnNode(args);
    return { url: (await waitForLine(child.stdout!, listening, 60_000))[1], pid: child.pid };
  };
  const platform = async (nodeOptions: string[] = []) =>
    // Without timers: the minute flush (compact) runs on its own FC instances in production.
    process.env.MKT_URL
      ? { url: process.env.MKT_URL }
      : serve([...nodeOptions, 'dist/local/start.js', '--no-timers'], /running at (http:\/\/[\d.:]+)/);

  const stopAll = () => {
    for (const child of children.splice(0)) child.kill('SIGTERM');
  };

  const redis = new Redis(redisUrl);
  body({ redisUrl, prefix, env, spawnNode, serve, platform, stopAll })
    .catch((err: Error) => {
      process.stderr.write(`bench failed: ${err.stack}\n`);
      process.exitCode = 1;
    })
    .finally(async () => {
      stopAll();
      await removeKeys(redis, prefix);
      await redis.quit();
      rmSync(dir, { recursive: true, force: true });
    });
}

/** A port nothing listens on now, for an instance the bench starts. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
