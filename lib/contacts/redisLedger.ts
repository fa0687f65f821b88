/**
 * The production contact ledger: Redis (Tair). A run's keys share its hash tag (claims,
 * budget, progress: one slot, so its scripts are atomic on a cluster too); a person's contact
 * counters share the person's. Claims are HSETNX, so two attempts at a run never both win one.
 */
import Redis from 'ioredis';
import { unavailable } from '#lib/errors';
import { dayOf, weekOf } from './buckets';
import {
  CONTACT_RETENTION_MS,
  type BudgetLimits,
  type Contact,
  type ContactCaps,
  type ContactLedger,
  type Delivery,
  type PersonState,
  type RunActivity,
  type RunProgress,
} from './port';

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

/** KEYS: people hash. ARGV: claimed state JSON, then user ids. Claims again those whose send was refused for flow control. */
const RECLAIM_DEFERRED = `
local out = {}
for i = 2, #ARGV do
  local s = redis.call('HGET', KEYS[1], ARGV[i])
  out[i - 1] = 0
  if s then
    local state = cjson.decode(s)
    if state.status == 'failed' and state.failure == 'defer' then
      redis.call('HSET', KEYS[1], ARGV[i], ARGV[1])
      out[i - 1] = 1
    end
  end
end
return out`;

/** KEYS: lease. ARGV: holder, TTL ms. Takes a free lease, or renews the holder's own; 0 when another holds it. */
const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** KEYS: lease. ARGV: holder. Lets it go only if the holder still holds it. */
const UNLEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

/** KEYS: day and week counters of one person. Gives back one contact of each, never below zero. */
const RELEASE_CONTACT = `
for i = 1, 2 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 1`;

/** KEYS: budget hash. ARGV: messages and milli-yuan to give back, never below zero. */
const REFUND_BUDGET = `
local messages = math.max(0, tonumber(redis.call('HGET', KEYS[1], 'messages') or '0') - tonumber(ARGV[1]))
local spent = math.max(0, tonumber(redis.call('HGET', KEYS[1], 'milliYuan') or '0') - tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'messages', messages, 'milliYuan', spent)
return 1`;

/**
 * KEYS: budget hash. ARGV: message limit (-1: none), milli-yuan limit (-1: none), then each message's
 * cost in milli-yuan. Returns how many fit.
 */
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

/** KEYS: first-claim and last-claim sorted sets of runs. ARGV: claim time, run. Keeps the earliest and the latest. */
const NOTE_RUN = `
local first = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not first or tonumber(ARGV[1]) < tonumber(first) then redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2]) end
local last = redis.call('ZSCORE', KEYS[2], ARGV[2])
if not last or tonumber(ARGV[1]) > tonumber(last) then redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2]) end
return 1`;

/**
 * KEYS: a run's delivery hash. ARGV: per delivery, 7 values: user id, its JSON, message id ('' when
 * none), outcome, code, time, via. The rule of settlement.ts replacesDelivery. Returns 1 for each kept.
 */
const RECORD_DELIVERIES = `
local out = {}
for i = 1, #ARGV, 7 do
  local kept = redis.call('HGET', KEYS[1], ARGV[i])
  local replace = true
  if kept then
    local k = cjson.decode(kept)
    if (k.messageId or '') == ARGV[i + 2] and k.outcome == ARGV[i + 3] and k.code == ARGV[i + 4] then replace = false
    elseif k.via == 'no_record' and ARGV[i + 6] ~= 'no_record' then replace = true
    else replace = tonumber(ARGV[i + 5]) >= tonumber(k.at) end
  end
  if replace then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
  out[#out + 1] = replace and 1 or 0
end
return out`;

const DAY_S = 86_400;

/** KEYS: a person's contact history. ARGV: time, contact, retention ms. Adds it, drops what is past the retention, renews the expiry. */
const NOTE_CONTACT = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (tonumber(ARGV[1]) - tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

type Scripted = Redis & {
  mktClaim(key: string, ...args: string[]): Promise<number[]>;
  mktReserveContact(day: string, week: string, ...args: (string | number)[]): Promise<number>;
  mktReserveBudget(key: string, ...args: (string | number)[]): Promise<number>;
  mktReleaseContact(day: string, week: string): Promise<number>;
  mktLease(key: string, holder: string, ttlMs: number): Promise<number>;
  mktReclaimDeferred(key: string, ...args: string[]): Promise<number[]>;
  mktUnlease(key: string, holder: string): Promise<number>;
  mktRefundBudget(key: string, messages: number, milliYuan: number): Promise<number>;
  mktNoteRun(first: string, last: string, at: number, run: string): Promise<number>;
  mktRecordDeliveries(key: string, ...args: string[]): Promise<number[]>;
  mktNoteContact(key: string, at: number, contact: string, retentionMs: number): Promise<number>;
};

const RUN_NOTE_EVERY_MS = 60_000;

function connect(url: string): Scripted {
  // Connected on first use: recommend only ever reads histories, so its instances hold one connection, not two.
  const redis = new Redis(url, {
    commandTimeout: 5000,
    connectTimeout: 1000,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
    lazyConnect: true,
  });
  redis.on('error', () => undefined); // surfaced by the commands that need Redis
  redis.defineCommand('mktClaim', { numberOfKeys: 1, lua: CLAIM });
  redis.defineCommand('mktReserveContact', { numberOfKeys: 2, lua: RESERVE_CONTACT });
  redis.defineCommand('mktReserveBudget', { numberOfKeys: 1, lua: RESERVE_BUDGET });
  redis.defineCommand('mktReleaseContact', { numberOfKeys: 2, lua: RELEASE_CONTACT });
  redis.defineCommand('mktLease', { numberOfKeys: 1, lua: LEASE });
  redis.defineCommand('mktReclaimDeferred', { numberOfKeys: 1, lua: RECLAIM_DEFERRED });
  redis.defineCommand('mktUnlease', { numberOfKeys: 1, lua: UNLEASE });
  redis.defineCommand('mktRefundBudget', { numberOfKeys: 1, lua: REFUND_BUDGET });
  redis.defineCommand('mktNoteRun', { numberOfKeys: 2, lua: NOTE_RUN });
  redis.defineCommand('mktRecordDeliveries', { numberOfKeys: 1, lua: RECORD_DELIVERIES });
  redis.defineCommand('mktNoteContact', { numberOfKeys: 1, lua: NOTE_CONTACT });
  return redis as Scripted;
}

export class RedisContactLedger implements ContactLedger {
  readonly describe: string;
  /** When this process last noted each run's claims. */
  private readonly notedRuns = new Map<string, { first: number; last: number }>();
  readonly redis: Scripted;
  /**
   * Contact histories have a connection of their own: a run's notes are written while its next
   * batch is claimed and decided, not queued in front of that batch's commands.
   */
  private readonly histories: Scripted;

  constructor(private readonly o: { url: string; prefix: string }) {
    this.describe = `redis:${new URL(o.url).host}`;
    this.redis = connect(o.url);
    this.histories = connect(o.url);
  }

  private runKey = (run: string, part: string) => `${this.o.prefix}run:{${run}}:${part}`;
  private historyKey = (userId: string) => `${this.o.prefix}contacts:{${userId}}`;
  private contactKey = (userId: string, period: string) => `${this.o.prefix}contact:{${userId}}:${period}`;
  /** The runs by claim time (one slot for all three). */
  private runsKey = (part: 'first' | 'last' | 'reconciled') => `${this.o.prefix}{runs}:${part}`;

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw unavailable('contact_ledger_unavailable', `Redis ${what} failed`, err);
    }
  }

  claim(run: string, userIds: string[], at: number): Promise<boolean[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.run('claim', async () => {
      // Noted first (another slot, so not in the claim's script): a claim is never left out of the runs that reconciliation
      // reads. Once a minute a run is enough: reconciliation waits half an hour after a run's last claim.
      const noted = this.notedRuns.get(run);
      if (!noted || at < noted.first || at >= noted.last + RUN_NOTE_EVERY_MS) {
        await this.redis.mktNoteRun(this.runsKey('first'), this.runsKey('last'), at, run);
        this.notedRuns.set(run, { first: Math.min(at, noted?.first ?? at), last: Math.max(at, noted?.last ?? at) });
      }
      return (await this.redis.mktClaim(this.runKey(run, 'people'), JSON.stringify({ status: 'claimed', at }), ...userIds)).map(
        (n) => n === 1,
      );
    });
  }

  settle(run: string, states: Map<string, PersonState>): Promise<void> {
    if (states.size === 0) return Promise.resolve();
    return this.run(
      'settle',
      async () => void (await this.redis.hset(this.runKey(run, 'people'), ...[...states].flatMap(([id, s]) => [id, JSON.stringify(s)]))),
    );
  }

  people(run: string): Promise<Map<string, PersonState>> {
    return this.run(
      'people',
      async () =>
        new Map(Object.entries(await this.redis.hgetall(this.runKey(run, 'people'))).map(([id, s]) => [id, JSON.parse(s) as PersonState])),
    );
  }

  reserveContacts(userIds: string[], nowMs: number, caps: ContactCaps): Promise<boolean[]> {
    return this.run('contact caps', () =>
      Promise.all(
        userIds.map(
          async (id) =>
            (await this.redis.mktReserveContact(
              this.contactKey(id, `d:${dayOf(nowMs)}`),
              this.contactKey(id, `w:${weekOf(nowMs)}`),
              caps.perDay,
              caps.perWeek,
              2 * DAY_S,
              8 * DAY_S,
            )) === 1,
        ),
      ),
    );
  }

  reclaimDeferred(run: string, userIds: string[], at: number): Promise<boolean[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.run('claim', async () =>
      (await this.redis.mktReclaimDeferred(this.runKey(run, 'people'), JSON.stringify({ status: 'claimed', at }), ...userIds)).map(
        (n) => n === 1,
      ),
    );
  }

  lease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.run('lease', async () => (await this.redis.mktLease(this.runKey(key, 'lease'), holder, ttlMs)) === 1);
  }

  leased(key: string): Promise<boolean> {
    return this.run('lease', async () => (await this.redis.exists(this.runKey(key, 'lease'))) === 1);
  }

  unlease(key: string, holder: string): Promise<void> {
    return this.run('lease', async () => void (await this.redis.mktUnlease(this.runKey(key, 'lease'), holder)));
  }

  releaseContacts(userIds: string[], reservedAtMs: number): Promise<void> {
    if (userIds.length === 0) return Promise.resolve();
    return this.run('contact caps', async () => {
      const [day, week] = [`d:${dayOf(reservedAtMs)}`, `w:${weekOf(reservedAtMs)}`];
      await Promise.all(userIds.map((id) => this.redis.mktReleaseContact(this.contactKey(id, day), this.contactKey(id, week))));
    });
  }

  refundBudget(run: string, costEach: number[]): Promise<void> {
    if (costEach.length === 0) return Promise.resolve();
    const milliYuan = costEach.reduce((a, b) => a + b, 0);
    return this.run('budget', async () => void (await this.redis.mktRefundBudget(this.runKey(run, 'budget'), costEach.length, milliYuan)));
  }

  reserveBudget(run: string, costEach: number[], limits: BudgetLimits): Promise<number> {
    if (costEach.length === 0) return Promise.resolve(0);
    return this.run('budget', () =>
      this.redis.mktReserveBudget(this.runKey(run, 'budget'), limits.messages ?? -1, limits.milliYuan ?? -1, ...costEach),
    );
  }

  /** A sorted set per person, scored by time: older than the retention is trimmed on each write, and the key expires with it. */
  noteContacts(contacts: [string, Contact][]): Promise<void> {
    if (contacts.length === 0) return Promise.resolve();
    // One script call a person, sent together by auto-pipelining (each key its own slot on a cluster).
    return this.run(
      'contacts',
      async () =>
        void (await Promise.all(
          contacts.map(([userId, c]) =>
            this.histories.mktNoteContact(this.historyKey(userId), c.at, JSON.stringify(c), CONTACT_RETENTION_MS),
          ),
        )),
    );
  }

  contactsOf(userIds: string[], sinceMs: number): Promise<Contact[][]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.run('contacts', async () => {
      const found = await Promise.all(userIds.map((id) => this.histories.zrangebyscore(this.historyKey(id), sinceMs, '+inf')));
      return found.map((members) => members.map((m) => JSON.parse(m) as Contact));
    });
  }

  spent(run: string): Promise<{ messages: number; milliYuan: number }> {
    return this.run('budget', async () => {
      const [messages, milliYuan] = await this.redis.hmget(this.runKey(run, 'budget'), 'messages', 'milliYuan');
      return { messages: Number(messages ?? 0), milliYuan: Number(milliYuan ?? 0) };
    });
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

  statesOf(run: string, userIds: string[]): Promise<(PersonState | undefined)[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.run('people', async () =>
      (await this.redis.hmget(this.runKey(run, 'people'), ...userIds)).map((s) =>
        s === null ? undefined : (JSON.parse(s) as PersonState),
      ),
    );
  }

  scanPeople(run: string, cursor = '0', count = 1000): Promise<{ people: [string, PersonState][]; next?: string }> {
    return this.run('people', async () => {
      const [next, flat] = await this.redis.hscan(this.runKey(run, 'people'), cursor, 'COUNT', count);
      const people: [string, PersonState][] = [];
      for (let i = 0; i < flat.length; i += 2) people.push([flat[i], JSON.parse(flat[i + 1]) as PersonState]);
      return { people, next: next === '0' ? undefined : next };
    });
  }

  recordDeliveries(run: string, deliveries: [string, Delivery][]): Promise<boolean[]> {
    if (deliveries.length === 0) return Promise.resolve([]);
    const args = deliveries.flatMap(([id, d]) => [id, JSON.stringify(d), d.messageId ?? '', d.outcome, d.code, String(d.at), d.via]);
    return this.run('deliveries', async () =>
      (await this.redis.mktRecordDeliveries(this.runKey(run, 'delivery'), ...args)).map((n) => n === 1),
    );
  }

  deliveriesOf(run: string, userIds: string[]): Promise<(Delivery | undefined)[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.run('deliveries', async () =>
      (await this.redis.hmget(this.runKey(run, 'delivery'), ...userIds)).map((s) => (s === null ? undefined : (JSON.parse(s) as Delivery))),
    );
  }

  runsSince(sinceMs: number): Promise<RunActivity[]> {
    return this.run('runs', async () => {
      const flat = await this.redis.zrangebyscore(this.runsKey('last'), sinceMs, '+inf', 'WITHSCORES');
      const runs = flat.filter((_, i) => i % 2 === 0);
      const [first, reconciled] = await Promise.all(
        (['first', 'reconciled'] as const).map((part) => Promise.all(runs.map((run) => this.redis.zscore(this.runsKey(part), run)))),
      );
      return runs.map((run, i) => ({
        run,
        firstClaimAt: Number(first[i] ?? flat[2 * i + 1]),
        lastClaimAt: Number(flat[2 * i + 1]),
        ...(reconciled[i] === null ? {} : { reconciledThrough: Number(reconciled[i]) }),
      }));
    });
  }

  markReconciled(run: string, throughMs: number): Promise<void> {
    return this.run('runs', async () => void (await this.redis.zadd(this.runsKey('reconciled'), throughMs, run)));
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.redis, this.histories].map(async (redis) => {
        if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
        else redis.disconnect();
      }),
    );
  }
}
