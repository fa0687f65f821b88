/** The real Redis for contract suites: a fresh key prefix per test, and every key under it removed after. */
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** An adapter on a fresh prefix, and its teardown (keys removed, connection closed). */
export function onTestPrefix<T extends { redis: Redis; close(): Promise<void> }>(
  create: (url: string, prefix: string) => T,
): { adapter: T; teardown(): Promise<void> } {
  const prefix = `mkt-test:${randomUUID()}:`;
  const adapter = create(REDIS_URL, prefix);
  return {
    adapter,
    teardown: async () => {
      const keys = await adapter.redis.keys(`${prefix}*`);
      if (keys.length) await adapter.redis.del(...keys);
      await adapter.close();
    },
  };
}
