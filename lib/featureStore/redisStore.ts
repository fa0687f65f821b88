/**
 * The production feature store: Redis (or Tair) through `ioredis`. Every key of one user
 * carries the user id as a hash tag, so multi-key work on a user stays in one cluster slot.
 * A batch is folded first (aggregate.ts), then written in a single pipeline round trip.
 */
import Redis from 'ioredis';
import { unavailable } from '../errors';
import {
  aggregate,
  COUNT_WINDOWS_DAYS,
  dayBucket,
  decayedAt,
  decodeRecent,
  encodeRecent,
  RECENT_LIMIT,
  TREND_WINDOW_H,
  hourBucket,
  trendWeight,
  USER_TTL_S,
  windowCounts,
} from './aggregate';
import type { Behaviour, FeatureStore, ScoredItem, UserFeatures } from './port';

export interface RedisStoreOptions {
  url: string;
  prefix: string;
  /** Per-command budget; a slow Redis fails fast instead of holding requests. */
  commandTimeoutMs?: number;
}

export class RedisFeatureStore implements FeatureStore {
  readonly describe: string;
  readonly redis: Redis;
  private readonly p: string;

  constructor(o: RedisStoreOptions) {
    const u = new URL(o.url);
    this.describe = `redis:${u.host}`;
    this.p = o.prefix;
    this.redis = new Redis(o.url, {
      commandTimeout: o.commandTimeoutMs ?? 500,
      connectTimeout: 1000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      enableAutoPipelining: true,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.redis.on('error', () => undefined); // failures surface on the commands that need Redis
  }

  private userKey = (userId: string, part: string) => `${this.p}u:{${userId}}:${part}`;
  private trendKey = (hour: number) => `${this.p}{trend}:${hour}`;

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw unavailable('feature_store_unavailable', `Redis ${what} failed`, err);
    }
  }

  claim(keys: string[], ttlSeconds: number): Promise<boolean[]> {
    return this.run('claim', async () => {
      const pipe = this.redis.pipeline();
      for (const k of keys) pipe.set(`${this.p}claim:${k}`, '1', 'EX', ttlSeconds, 'NX');
      const results = (await pipe.exec()) ?? [];
      return results.map(([err, reply]) => {
        if (err) throw err;
        return reply === 'OK';
      });
    });
  }

  release(keys: string[]): Promise<void> {
    return this.run('release', async () => {
      if (keys.length > 0) await this.redis.unlink(...keys.map((k) => `${this.p}claim:${k}`));
    });
  }

  increment(key: string, by: number, ttlSeconds: number): Promise<number> {
    return this.run('increment', async () => {
      const k = `${this.p}n:${key}`;
      const [[err, value]] = (await this.redis.multi().incrbyfloat(k, by).expire(k, ttlSeconds, 'NX').exec()) ?? [[null, 0]];
      if (err) throw err;
      return Number(value);
    });
  }

  record(events: Behaviour[]): Promise<void> {
    return this.run('record', async () => {
      const delta = aggregate(events);
      const pipe = this.redis.pipeline();
      for (const [userId, u] of delta.users) {
        if (u.recent.length > 0) {
          const recentKey = this.userKey(userId, 'recent');
          pipe.lpush(recentKey, ...u.recent.map(encodeRecent).reverse());
          pipe.ltrim(recentKey, 0, RECENT_LIMIT - 1);
          pipe.expire(recentKey, USER_TTL_S);
        }
        for (const [day, types] of u.counts) {
          const countKey = this.userKey(userId, `c:${day}`);
          for (const [type, n] of types) pipe.hincrby(countKey, type, n);
          pipe.expire(countKey, (COUNT_WINDOWS_DAYS.d30 + 1) * 24 * 3600);
        }
        const profileKey = this.userKey(userId, 'profile');
        if (u.spend) pipe.hincrbyfloat(profileKey, 'spend', u.spend);
        pipe.expire(profileKey, USER_TTL_S);
        pipe.zadd(`${this.p}active`, 'GT', u.lastActive, userId);
      }
      for (const [itemId, inc] of delta.popularity) pipe.zincrby(`${this.p}popularity`, inc, itemId);
      for (const [hour, items] of delta.trend) {
        const key = this.trendKey(hour);
        for (const [itemId, w] of items) pipe.zincrby(key, w, itemId);
        pipe.expire(key, (TREND_WINDOW_H + 1) * 3600);
      }
      for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
    });
  }

  user(userId: string, nowMs: number): Promise<UserFeatures> {
    return this.run('user', async () => {
      const today = dayBucket(nowMs);
      const days = Array.from({ length: COUNT_WINDOWS_DAYS.d30 }, (_, i) => today - i);
      const pipe = this.redis.pipeline();
      pipe.lrange(this.userKey(userId, 'recent'), 0, RECENT_LIMIT - 1);
      pipe.hget(this.userKey(userId, 'profile'), 'spend');
      pipe.zscore(`${this.p}active`, userId);
      for (const day of days) pipe.hgetall(this.userKey(userId, `c:${day}`));
      const replies = (await pipe.exec()) ?? [];
      for (const [err] of replies) if (err) throw err;
      const [recent, spend, last, ...perDay] = replies.map(([, r]) => r);
      const counts = new Map<number, Map<string, number>>();
      perDay.forEach((h, i) => {
        const entries = Object.entries(h as Record<string, string>).map(([t, n]) => [t, Number(n)] as const);
        if (entries.length > 0) counts.set(days[i], new Map(entries));
      });
      return {
        recent: (recent as string[]).map(decodeRecent).sort((a, b) => b.ts - a.ts),
        counts: windowCounts(counts, nowMs),
        lastActive: last === null ? undefined : Number(last),
        spend: Number(spend ?? 0),
      };
    });
  }

  popularity(itemIds: string[], nowMs: number): Promise<number[]> {
    return this.run('popularity', async () => {
      if (itemIds.length === 0) return [];
      const scores = await this.redis.zmscore(`${this.p}popularity`, ...itemIds);
      return scores.map((s) => (s === null ? 0 : decayedAt(Number(s), nowMs)));
    });
  }

  trending(limit: number, nowMs: number): Promise<ScoredItem[]> {
    return this.run('trending', async () => {
      const now = hourBucket(nowMs);
      const hours = Array.from({ length: TREND_WINDOW_H }, (_, i) => now - i);
      const reply = (await this.redis.call(
        'ZUNION',
        String(hours.length),
        ...hours.map((h) => this.trendKey(h)),
        'WEIGHTS',
        ...hours.map((h) => String(trendWeight(h, nowMs))),
        'WITHSCORES',
      )) as string[];
      const items: ScoredItem[] = [];
      for (let i = 0; i < reply.length; i += 2) items.push({ itemId: reply[i], score: Number(reply[i + 1]) });
      return items.sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1)).slice(0, limit);
    });
  }

  ping(): Promise<void> {
    return this.run('ping', async () => void (await this.redis.ping()));
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
