/**
 * The production feature store: Redis (or Tair) through `ioredis`. Every key of one user
 * carries the user id as a hash tag, so multi-key work on a user stays in one cluster slot.
 * A batch is folded first (aggregate.ts), then written in a single pipeline round trip.
 */
import Redis from 'ioredis';
import { unavailable } from '#lib/errors';
import { groupCommit } from '#lib/groupCommit';
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
import type { Behaviour } from '#lib/events/behaviour';
import type { FeatureStore, ScoredItem, UserFeatures, UserHistory } from './port';
import { READ_HISTORY, RECORD_ITEMS, RECORD_USER } from './redisScripts';

const COUNT_TTL_S = (COUNT_WINDOWS_DAYS.d30 + 1) * 24 * 3600;

export interface RedisStoreOptions {
  url: string;
  prefix: string;
  /** Per-command budget; a slow Redis fails fast instead of holding requests. */
  commandTimeoutMs?: number;
}

export class RedisFeatureStore implements FeatureStore {
  readonly describe: string;
  readonly redis: Redis & {
    mktRecordUser(numKeys: number, ...args: (string | number)[]): Promise<number>;
    mktRecordItems(numKeys: number, ...args: (string | number)[]): Promise<number>;
    mktHistory(recentKey: string, purchasedKey: string, limit: number): Promise<[string[], string[]]>;
  };
  private readonly p: string;
  private corked = false;

  constructor(o: RedisStoreOptions) {
    const u = new URL(o.url);
    this.describe = `redis:${u.host}`;
    this.p = o.prefix;
    const redis = new Redis(o.url, {
      commandTimeout: o.commandTimeoutMs ?? 500,
      connectTimeout: 1000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      enableAutoPipelining: true,
      // Auto-pipelining suits writes, not recommend's read: ioredis keeps one batch in flight and
      // answers it as a whole, so reads queued behind each other (see writeTogether).
      autoPipeliningIgnoredCommands: ['mktHistory'],
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    redis.on('error', () => undefined); // failures surface on the commands that need Redis
    redis.defineCommand('mktRecordUser', { lua: RECORD_USER });
    redis.defineCommand('mktRecordItems', { lua: RECORD_ITEMS });
    redis.defineCommand('mktHistory', { numberOfKeys: 2, lua: READ_HISTORY });
    this.redis = redis as RedisFeatureStore['redis'];
  }

  private userKey = (userId: string, part: string) => `${this.p}u:{${userId}}:${part}`;
  private trendKey = (hour: number) => `${this.p}{items}:trend:${hour}`;
  private get revokedKey() {
    return `${this.p}{apps}:tokens-revoked-before`;
  }
  private get popularityKey() {
    return `${this.p}{items}:popularity`;
  }

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw unavailable('feature_store_unavailable', `Redis ${what} failed`, err);
    }
  }

  /** Behaviour from concurrent requests is folded and written together. */
  private readonly recordGroup = groupCommit(async (events: Behaviour[]) => {
    await this.recordNow(events);
    return events.map(() => undefined);
  });

  record(events: Behaviour[]): Promise<void> {
    return this.run('record', async () => void (await this.recordGroup(events)));
  }

  private async recordNow(events: Behaviour[]): Promise<void> {
    const delta = aggregate(events);
    const calls: Promise<unknown>[] = [];
    const active: (string | number)[] = [];
    for (const [userId, u] of delta.users) {
      const days = [...u.counts.keys()];
      const keys = [
        this.userKey(userId, 'recent'),
        this.userKey(userId, 'profile'),
        this.userKey(userId, 'purchased'),
        ...days.map((d) => this.userKey(userId, `c:${d}`)),
      ];
      const args: (string | number)[] = [
        RECENT_LIMIT,
        USER_TTL_S,
        COUNT_TTL_S,
        u.spend,
        u.recent.length,
        ...u.recent.map(encodeRecent).reverse(),
      ];
      args.push(u.purchased.size, ...u.purchased);
      for (const d of days) {
        const types = u.counts.get(d)!;
        args.push(types.size, ...[...types].flat());
      }
      calls.push(this.redis.mktRecordUser(keys.length, ...keys, ...args));
      active.push(u.lastActive, userId);
    }
    if (active.length > 0) calls.push(this.redis.zadd(`${this.p}active`, 'GT', ...active));
    if (delta.popularity.size > 0) {
      const hours = [...delta.trend.keys()];
      const args: (string | number)[] = [(TREND_WINDOW_H + 1) * 3600, delta.popularity.size, ...[...delta.popularity].flat()];
      for (const h of hours) args.push(delta.trend.get(h)!.size, ...[...delta.trend.get(h)!].flat());
      const keys = [this.popularityKey, ...hours.map(this.trendKey)];
      calls.push(this.redis.mktRecordItems(keys.length, ...keys, ...args));
    }
    await Promise.all(calls);
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

  history(userId: string): Promise<UserHistory> {
    return this.run('history', async () => {
      this.writeTogether();
      const [recent, purchased] = await this.redis.mktHistory(
        this.userKey(userId, 'recent'),
        this.userKey(userId, 'purchased'),
        RECENT_LIMIT,
      );
      return { recent: recent.map(decodeRecent).sort((a, b) => b.ts - a.ts), purchased };
    });
  }

  /**
   * Holds the socket's writes until this turn of the event loop has run its I/O callbacks, so
   * the reads of requests that arrived together leave in one write (a syscall, and one wake-up
   * of Redis). Each reply still resolves as it arrives, and later reads do not wait for these.
   */
  private writeTogether(): void {
    if (this.corked || this.redis.status !== 'ready') return;
    const stream = this.redis.stream;
    this.corked = true;
    stream.cork();
    setImmediate(() => {
      this.corked = false;
      stream.uncork();
    });
  }

  popularity(itemIds: string[], nowMs: number): Promise<number[]> {
    return this.run('popularity', async () => {
      if (itemIds.length === 0) return [];
      const scores = await this.redis.zmscore(this.popularityKey, ...itemIds);
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

  tokenRevocations(): Promise<Record<string, number>> {
    return this.run('token revocations', async () => {
      const all = await this.redis.hgetall(this.revokedKey);
      return Object.fromEntries(Object.entries(all).map(([app, ms]) => [app, Number(ms)]));
    });
  }

  revokeTokens(appId: string, issuedBeforeMs: number): Promise<void> {
    return this.run('token revocation', async () => void (await this.redis.hset(this.revokedKey, appId, String(issuedBeforeMs))));
  }

  ping(): Promise<void> {
    return this.run('ping', async () => void (await this.redis.ping()));
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
