/**
 * The production contact ledger: Redis (Tair). A run's keys share its hash tag (claims,
 * budget, progress: one slot, so its scripts are atomic on a cluster too); a person's contact
 * counters share the person's. Claims are HSETNX, so two attempts at a run never both win one.
 */
import Redis from 'ioredis';
import { unavailable } from '#lib/errors';
import { dayOf, weekOf } from './buckets';
import type { BudgetLimits, ContactCaps, ContactLedger, PersonState, RunProgress } from './port';

/** KEYS: people hash. ARGV: state JSON, then user ids. Returns 1 for each claimed now. */
const CLAIM = `
local out = {}
for i = 2, #ARGV do out[i - 1] = redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[1]) end
return out`;

/** KEYS: day and week counters of one person. ARGV: per-day cap, per-week cap, day TTL, week TTL. */
const RESERVE_CONTACT = `
local d = tonumber(redis.call('GET', KEYS[1]) or '0')
local w = tonumber(redis.call('GET', KEYS[2]) or '0')
if d >= tonumber(ARGV[1]) or w >= tonumber(ARGV[2]) then return 0 end
redis.call('INCR', KEYS[1]); redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('INCR', KEYS[2]); redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1`;

/** KEYS: budget hash. ARGV: message limit (-1: none), milli-yuan limit (-1: none), then each message's cost in milli-yuan. Returns how many fit. */
const RESERVE_BUDGET = `
local messages = tonumber(redis.call('HGET', KEYS[1], 'messages') or '0')
local spent = tonumber(redis.call('HGET', KEYS[1], 'milliYuan') or '0')
local maxMessages, maxSpent = tonumber(ARGV[1]), tonumber(ARGV[2])
local granted = 0
for i = 3, #ARGV do
  local cost = tonumber(ARGV[i])
  if (maxMessages >= 0 and messages + 1 > maxMessages) or (maxSpent >= 0 and spent + cost > maxSpent) then break end
  messages = messages + 1; spent = spent + cost; granted = granted + 1
end
redis.call('HSET', KEYS[1], 'messages', messages, 'milliYuan', spent)
return granted`;

const DAY_S = 86_400;

type Scripted = Redis & {
  mktClaim(key: string, ...args: string[]): Promise<number[]>;
  mktReserveContact(day: string, week: string, ...args: (string | number)[]): Promise<number>;
  mktReserveBudget(key: string, ...args: (string | number)[]): Promise<number>;
};

export class RedisContactLedger implements ContactLedger {
  readonly describe: string;
  readonly redis: Scripted;

  constructor(private readonly o: { url: string; prefix: string }) {
    this.describe = `redis:${new URL(o.url).host}`;
    const redis = new Redis(o.url, { commandTimeout: 5000, connectTimeout: 1000, maxRetriesPerRequest: 1, enableAutoPipelining: true });
    redis.on('error', () => undefined); // surfaced by the commands that need Redis
    redis.defineCommand('mktClaim', { numberOfKeys: 1, lua: CLAIM });
    redis.defineCommand('mktReserveContact', { numberOfKeys: 2, lua: RESERVE_CONTACT });
    redis.defineCommand('mktReserveBudget', { numberOfKeys: 1, lua: RESERVE_BUDGET });
    this.redis = redis as Scripted;
  }

  private runKey = (run: string, part: string) => `${this.o.prefix}run:{${run}}:${part}`;
  private contactKey = (userId: string, period: string) => `${this.o.prefix}contact:{${userId}}:${period}`;

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw unavailable('contact_ledger_unavailable', `Redis ${what} failed`, err);
    }
  }

  claim(run: string, userIds: string[], at: number): Promise<boolean[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.run('claim', async () => (await this.redis.mktClaim(this.runKey(run, 'people'), JSON.stringify({ status: 'claimed', at }), ...userIds)).map((n) => n === 1));
  }

  settle(run: string, states: Map<string, PersonState>): Promise<void> {
    if (states.size === 0) return Promise.resolve();
    return this.run('settle', async () => void (await this.redis.hset(this.runKey(run, 'people'), ...[...states].flatMap(([id, s]) => [id, JSON.stringify(s)]))));
  }

  people(run: string): Promise<Map<string, PersonState>> {
    return this.run('people', async () => new Map(Object.entries(await this.redis.hgetall(this.runKey(run, 'people'))).map(([id, s]) => [id, JSON.parse(s) as PersonState])));
  }

  reserveContacts(userIds: string[], nowMs: number, caps: ContactCaps): Promise<boolean[]> {
    return this.run('contact caps', () =>
      Promise.all(
        userIds.map(
          async (id) => (await this.redis.mktReserveContact(this.contactKey(id, `d:${dayOf(nowMs)}`), this.contactKey(id, `w:${weekOf(nowMs)}`), caps.perDay, caps.perWeek, 2 * DAY_S, 8 * DAY_S)) === 1,
        ),
      ),
    );
  }

  reserveBudget(run: string, costEach: number[], limits: BudgetLimits): Promise<number> {
    if (costEach.length === 0) return Promise.resolve(0);
    return this.run('budget', () => this.redis.mktReserveBudget(this.runKey(run, 'budget'), limits.messages ?? -1, limits.milliYuan ?? -1, ...costEach));
  }

  progress(run: string): Promise<RunProgress> {
    return this.run('progress', async () => {
      const raw = await this.redis.get(this.runKey(run, 'progress'));
      return raw ? (JSON.parse(raw) as RunProgress) : { done: false };
    });
  }

  saveProgress(run: string, progress: RunProgress): Promise<void> {
    return this.run('progress', async () => void (await this.redis.set(this.runKey(run, 'progress'), JSON.stringify(progress))));
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
