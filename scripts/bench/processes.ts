/** What every benchmark needs around its load: child Node processes, and cleaning its Redis keys up. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type Redis from 'ioredis';

const root = path.resolve(__dirname, '../..');

/** A Node process in the project root, stdout piped (for its "listening at" line), stderr shown. */
export function spawnNode(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Deletes every key under the benchmark's prefix. */
export async function removeKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
