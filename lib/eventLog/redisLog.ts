/**
 * The production event log: a Redis (Tair) stream. One Lua script admits each batch (nonce,
 * quota), claims its event ids and XADDs its record with the duplicate flags,
 * atomically: a batch is either stored and claimed or neither. Appends of concurrent
 * requests are sent together (group commit). `compact` reads through a consumer group;
 * unacked entries come back in order. All keys share one hash tag, so the script is valid
 * on a cluster too.
 */
import Redis from 'ioredis';
import { unavailable } from '#lib/errors';
import { groupCommit } from '#lib/groupCommit';
import { decodeFlags, type Admission, type AppendResult, type EventLog, type LogEntry } from './port';

/**
 * Event ids are remembered in sets, one per window of `dedupeSeconds`: a batch checks the
 * current and the previous window's set (two SMISMEMBER calls, not a SET NX per event), so an
 * id is remembered for one to two windows. The first append of a window UNLINKs the set
 * before the previous one, freeing it off Redis's main thread instead of expiring it there.
 *
 * KEYS: stream, previous set, current set, retired set, then per gated batch its nonce and
 * quota keys. ARGV: dedupe TTL, batch count, then per batch: id count, record, gated (1/0),
 * when gated: nonce TTL (0: no nonce to check), cost, limit, quota TTL; then its ids. Returns per batch 'R' (replayed
 * nonce), 'Q' (over quota) or its duplicate flags.
 */
const APPEND = `
local ttl = tonumber(ARGV[1])
local k, a = 5, 3
local out = {}
local newWindow = redis.call('EXISTS', KEYS[3]) == 0
if newWindow then redis.call('UNLINK', KEYS[4]) end
for b = 1, tonumber(ARGV[2]) do
  local n, record = tonumber(ARGV[a]), ARGV[a + 1]
  local refused = nil
  if ARGV[a + 2] == '1' then
    if ARGV[a + 3] ~= '0' and not redis.call('SET', KEYS[k], '1', 'NX', 'EX', ARGV[a + 3]) then
      refused = 'R'
    else
      local cost = tonumber(ARGV[a + 4])
      local used = redis.call('INCRBY', KEYS[k + 1], cost)
      if used == cost then redis.call('EXPIRE', KEYS[k + 1], ARGV[a + 6]) end
      if used > tonumber(ARGV[a + 5]) then refused = 'Q' end
    end
    k, a = k + 2, a + 7
  else
    a = a + 3
  end
  if refused then
    out[b] = refused
  elseif n == 0 then
    out[b] = ''
  else
    local ids = { unpack(ARGV, a, a + n - 1) }
    local previous = redis.call('SMISMEMBER', KEYS[2], unpack(ids))
    local current = redis.call('SMISMEMBER', KEYS[3], unpack(ids))
    local flags, fresh, inBatch = {}, {}, {}
    for i = 1, n do
      if previous[i] == 1 or current[i] == 1 or inBatch[ids[i]] then
        flags[i] = '1'
      else
        flags[i] = '0'
        inBatch[ids[i]] = true
        fresh[#fresh + 1] = ids[i]
      end
    end
    out[b] = table.concat(flags)
    if #fresh > 0 then
      redis.call('SADD', KEYS[3], unpack(fresh))
      redis.call('XADD', KEYS[1], '*', 'r', record, 'd', out[b])
    end
  end
  a = a + n
end
if newWindow then redis.call('EXPIRE', KEYS[3], 3 * ttl) end
return out
`;

const GROUP = 'compact';
const CONSUMER = 'compact';

interface AppendCall {
  keys: string[];
  record: Buffer;
  ttl: number;
  admission?: Admission;
}

export interface RedisLogOptions {
  url: string;
  prefix: string;
  commandTimeoutMs?: number;
  clock?: () => number;
}

export class RedisEventLog implements EventLog {
  readonly describe: string;
  readonly redis: Redis & { mktAppend(numKeys: number, ...args: (string | Buffer | number)[]): Promise<string[]> };
  private readonly stream: string;
  private groupReady?: Promise<void>;

  constructor(private readonly o: RedisLogOptions) {
    this.describe = `redis-stream:${new URL(o.url).host}`;
    this.stream = `${o.prefix}{ingest}:log`;
    const redis = new Redis(o.url, {
      commandTimeout: o.commandTimeoutMs ?? 2000,
      connectTimeout: 1000,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    redis.on('error', () => undefined); // surfaced by the commands that need Redis
    redis.defineCommand('mktAppend', { lua: APPEND });
    this.redis = redis as RedisEventLog['redis'];
  }

  private key = (kind: string, id: string) => `${this.o.prefix}{ingest}:${kind}:${id}`;

  private readonly appendGroup = groupCommit(async (calls: AppendCall[]): Promise<AppendResult[]> => {
    const ttl = calls[0].ttl;
    const window = Math.floor((this.o.clock ?? Date.now)() / 1000 / ttl);
    const keys = [window - 1, window, window - 2].map((w) => this.key(`seen:${ttl}`, String(w)));
    const args: (string | number | Buffer)[] = [ttl, calls.length];
    for (const { keys: eventKeys, record, admission: g } of calls) {
      args.push(eventKeys.length, record, g ? 1 : 0);
      if (g) {
        // Without a nonce the script gets a placeholder key and a TTL of 0, and skips the check.
        keys.push(this.key('nonce', g.nonce ?? '-'), this.key('quota', g.quota));
        args.push(g.nonce === undefined ? 0 : g.nonceSeconds, g.cost, g.limit, g.quotaSeconds);
      }
      args.push(...eventKeys);
    }
    const replies = await this.redis.mktAppend(keys.length + 1, this.stream, ...keys, ...args);
    return replies.map((r) =>
      r === 'R' ? { refused: 'replayed_nonce' } : r === 'Q' ? { refused: 'over_quota' } : { duplicate: decodeFlags(r) },
    );
  });

  async append(keys: string[], record: Buffer, dedupeSeconds: number, admission?: Admission): Promise<AppendResult> {
    if (keys.length === 0 && !admission) return { duplicate: [] };
    try {
      const [result] = await this.appendGroup([{ keys, record, ttl: dedupeSeconds, admission }]);
      return result;
    } catch (err) {
      throw unavailable('event_log_unavailable', 'Redis event log append failed', err);
    }
  }

  private ensureGroup(): Promise<void> {
    this.groupReady ??= this.redis
      .xgroup('CREATE', this.stream, GROUP, '0', 'MKSTREAM')
      .then(() => undefined)
      .catch((err: Error) => {
        if (!/BUSYGROUP/.test(err.message)) {
          this.groupReady = undefined;
          throw err;
        }
      });
    return this.groupReady;
  }

  async pending(limit: number): Promise<LogEntry[]> {
    try {
      await this.ensureGroup();
      const read = async (from: string): Promise<LogEntry[]> => {
        // xreadgroupBuffer exists at run time but is missing from ioredis's types.
        const redis = this.redis as unknown as { xreadgroupBuffer(...args: (string | number)[]): Promise<unknown> };
        const reply = (await redis.xreadgroupBuffer('GROUP', GROUP, CONSUMER, 'COUNT', limit, 'STREAMS', this.stream, from)) as
          | [Buffer, [Buffer, Buffer[] | null][]][]
          | null;
        return (reply?.[0]?.[1] ?? [])
          .filter(([, fields]) => fields !== null) // deleted while pending
          .map(([id, fields]) => {
            const field = (name: string) => fields![fields!.findIndex((f, i) => i % 2 === 0 && f.toString() === name) + 1];
            return { id: id.toString(), record: field('r'), duplicate: decodeFlags(field('d').toString()) };
          });
      };
      const redelivered = await read('0');
      return redelivered.length > 0 ? redelivered : await read('>');
    } catch (err) {
      throw unavailable('event_log_unavailable', 'Redis event log read failed', err);
    }
  }

  async ack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.redis
        .multi()
        .xack(this.stream, GROUP, ...ids)
        .xdel(this.stream, ...ids)
        .exec();
    } catch (err) {
      throw unavailable('event_log_unavailable', 'Redis event log ack failed', err);
    }
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
