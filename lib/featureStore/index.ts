import { redisUrlOf, usesRedis, type Config } from '#lib/config';
import { now } from '#lib/clock';
import { processShared } from '#lib/processShared';
import { MemoryFeatureStore } from './memoryStore';
import type { FeatureStore } from './port';
import { RedisFeatureStore } from './redisStore';

export type { FeatureStore, UserFeatures, ScoredItem, RecentItem, UserHistory } from './port';

/** Redis when REDIS_URL is set (or MKT_FEATURE_STORE=redis), else the in-process store; one per process. */
export function featureStoreFrom(c: Config): FeatureStore {
  return usesRedis(c)
    ? processShared(
        `featureStore:${c.redisUrl}:${c.redisPrefix}`,
        () => new RedisFeatureStore({ url: redisUrlOf(c), prefix: c.redisPrefix }),
      )
    : processShared('featureStore:memory', () => new MemoryFeatureStore(now));
}
