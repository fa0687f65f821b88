/**
 * The production profile store: Redis (Tair). A profile is one string key holding its JSON,
 * its user id the hash tag; the phone index is one key per lookup hash; each part (port.ts) is
 * a set of user ids, read with SSCAN. Writes go out in one pipeline; a phone that changed drops
 * its old index entry (if it still points at this user).
 */
import Redis from 'ioredis';
import { unavailable } from '#lib/errors';
import { pageOfParts } from './parts';
import { ALL_PARTS, partOf, PROFILE_PARTS, type PartRange, type ProfilePage, type ProfileStore, type StoredProfile } from './port';

export interface RedisProfileOptions {
  url: string;
  prefix: string;
  commandTimeoutMs?: number;
}

export class RedisProfileStore implements ProfileStore {
  readonly describe: string;
  readonly redis: Redis;

  constructor(private readonly o: RedisProfileOptions) {
    this.describe = `redis:${new URL(o.url).host}`;
    this.redis = new Redis(o.url, {
      commandTimeout: o.commandTimeoutMs ?? 2000,
      connectTimeout: 1000,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
    });
    this.redis.on('error', () => undefined); // surfaced by the commands that need Redis
  }

  private profileKey = (userId: string) => `${this.o.prefix}profile:{${userId}}`;
  private phoneKey = (hash: string) => `${this.o.prefix}profile-phone:{${hash}}`;
  private partKey = (part: number) => `${this.o.prefix}profile-part:{${part}}`;

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw unavailable('profile_store_unavailable', `Redis ${what} failed`, err);
    }
  }

  put(profiles: StoredProfile[]): Promise<void> {
    return this.run('profile write', async () => {
      const previous = await this.get(profiles.map((p) => p.userId));
      const pipeline = this.redis.pipeline();
      profiles.forEach((p, i) => {
        const oldHash = previous[i]?.phoneHash;
        // Removed only while it still names this user: another profile may have taken the number since.
        if (oldHash && oldHash !== p.phoneHash) pipeline.eval(DELETE_IF_EQUAL, 1, this.phoneKey(oldHash), p.userId);
        pipeline.set(this.profileKey(p.userId), JSON.stringify(p));
        pipeline.sadd(this.partKey(partOf(p.userId)), p.userId);
        if (p.phoneHash) pipeline.set(this.phoneKey(p.phoneHash), p.userId);
      });
      for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    });
  }

  get(userIds: string[]): Promise<(StoredProfile | undefined)[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.run('profile read', async () => {
      // One GET each (cluster-safe: every key its own slot), sent together by auto-pipelining.
      const raw = await Promise.all(userIds.map((id) => this.redis.get(this.profileKey(id))));
      return raw.map((r) => (r === null ? undefined : (JSON.parse(r) as StoredProfile)));
    });
  }

  userOfPhone(phoneHash: string): Promise<string | undefined> {
    return this.run('phone lookup', async () => (await this.redis.get(this.phoneKey(phoneHash))) ?? undefined);
  }

  scan(cursor?: string, count = 1000, parts: PartRange = ALL_PARTS): Promise<ProfilePage> {
    return this.run('profile scan', async () => {
      const page = await pageOfParts(cursor, count, parts, async (part, position) => {
        const [next, ids] = await this.redis.sscan(this.partKey(part), position, 'COUNT', count);
        return { ids, next: next === '0' ? undefined : next };
      });
      const profiles = (await this.get([...new Set(page.ids)])).filter((p): p is StoredProfile => p !== undefined);
      return { profiles, next: page.next };
    });
  }

  count(): Promise<number> {
    return this.run('profile count', async () => {
      const sizes = await Promise.all(Array.from({ length: PROFILE_PARTS }, (_, part) => this.redis.scard(this.partKey(part))));
      return sizes.reduce((a, b) => a + b, 0);
    });
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}

const DELETE_IF_EQUAL = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
