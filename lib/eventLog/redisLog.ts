/**
 * The production event log: a Redis (Tair) stream. One Lua script admits each batch (nonce,
 * quota), claims its event ids (SET NX EX) and XADDs its record with the duplicate flags,
 * atomically: a batch is either stored and claimed or neither. Appends of concurrent
 * requests are sent together (group commit). `compact` reads through a consumer group;
 * unacked entries come back in order. All keys share one hash tag, so the script is valid
 * on a cluster too.
 */
import Redis from 'ioredis';
import { unavailable } from '../errors';
import { groupCommit } from '../groupCommit';
import { decodeFlags, type Admission, type AppendResult, type EventLog, type LogEntry } from './port';

/**
 * KEYS: stream, then per batch: its nonce and quota keys when gated, then its event keys.
 * ARGV: dedupe TTL, batch count, then per batch: key count, record, gated (1/0), and when
 * gated: nonce TTL, cost, limit, quota TTL. Returns per batch 'R' (replayed nonce), 'Q'
 * (over quota) or its duplicate flags.
 */
const APPEND = `
local ttl = ARGV[1]
local k, a = 2, 3
local out = {}
for b = 1, tonumber(ARGV[2]) do
  local n, record = tonumber(ARGV[a]), ARGV[a + 1]
  local refused = nil
  if ARGV[a + 2] == '1' then
    if not redis.call('SET', KEYS[k], '1', 'NX', 'EX', ARGV[a + 3]) then
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
  else
    local flags = {}
    local fresh = false
    for i = 1, n do
      if redis.call('SET', KEYS[k + i - 1], '1', 'NX', 'EX', ttl) then
        flags[i] = '0'
        fresh = true
      else
        flags[i] = '1'
      end
    end
    out[b] = table.concat(flags)
    if fresh then redis.call('XADD', KEYS[1], '*', 'r', record, 'd', out[b]) end
  end
  k = k + n
end
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
    const keys: string[] = [];
    const args: (string | number | Buffer)[] = [calls[0].ttl, calls.length];
    for (const { keys: eventKeys, record, admission: g } of calls) {
      args.push(eventKeys.length, record, g ? 1 : 0);
      if (g) {
        keys.push(this.key('nonce', g.nonce), this.key('quota', g.quota));
        args.push(g.nonceSeconds, g.cost, g.limit, g.quotaSeconds);
      }
      for (const k of eventKeys) keys.push(this.key('seen', k));
    }
    const replies = await this.redis.mktAppend(keys.length + 1, this.stream, ...keys, ...args);
    return replies.map((r) => (r === 'R' ? { refused: 'replayed_nonce' } : r === 'Q' ? { refused: 'over_quota' } : { duplicate: decodeFlags(r) }));
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
      await this.redis.multi().xack(this.stream, GROUP, ...ids).xdel(this.stream, ...ids).exec();
    } catch (err) {
      throw unavailable('event_log_unavailable', 'Redis event log ack failed', err);
    }
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
