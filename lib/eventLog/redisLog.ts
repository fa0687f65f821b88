/**
 * The production event log: a Redis (Tair) stream. One Lua script claims the event ids
 * (SET NX EX) and XADDs each batch record with its duplicate flags, atomically: a batch is
 * either stored and claimed or neither. Appends of concurrent requests are sent together
 * (group commit). `compact` reads through a consumer group; unacked entries come back in
 * order. All keys share one hash tag, so the script is valid on a cluster too.
 */
import Redis from 'ioredis';
import { unavailable } from '../errors';
import { groupCommit } from '../groupCommit';
import { decodeFlags, type EventLog, type LogEntry } from './port';

/** KEYS: stream, then every batch's keys. ARGV: ttl, batch count, then per batch: key count, record. */
const APPEND = `
local ttl = ARGV[1]
local k = 2
local out = {}
for b = 1, tonumber(ARGV[2]) do
  local n = tonumber(ARGV[1 + 2 * b])
  local flags = {}
  local fresh = false
  for i = 1, n do
    if redis.call('SET', KEYS[k], '1', 'NX', 'EX', ttl) then
      flags[i] = '0'
      fresh = true
    else
      flags[i] = '1'
    end
    k = k + 1
  end
  if fresh then redis.call('XADD', KEYS[1], '*', 'r', ARGV[2 + 2 * b], 'd', table.concat(flags)) end
  out[#out + 1] = table.concat(flags)
end
return table.concat(out)
`;

const GROUP = 'compact';
const CONSUMER = 'compact';

interface AppendCall {
  keys: string[];
  record: Buffer;
  ttl: number;
}

export interface RedisLogOptions {
  url: string;
  prefix: string;
  commandTimeoutMs?: number;
}

export class RedisEventLog implements EventLog {
  readonly describe: string;
  readonly redis: Redis & { mktAppend(numKeys: number, ...args: (string | Buffer | number)[]): Promise<string> };
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

  private readonly appendGroup = groupCommit(async (calls: AppendCall[]) => {
    const keys = calls.flatMap((c) => c.keys.map((k) => `${this.o.prefix}{ingest}:seen:${k}`));
    const args = calls.flatMap((c) => [c.keys.length, c.record]);
    const flags = decodeFlags(await this.redis.mktAppend(keys.length + 1, this.stream, ...keys, calls[0].ttl, calls.length, ...args));
    let at = 0;
    return calls.map((c) => flags.slice(at, (at += c.keys.length)));
  });

  async append(keys: string[], record: Buffer, dedupeSeconds: number): Promise<boolean[]> {
    if (keys.length === 0) return [];
    try {
      const [flags] = await this.appendGroup([{ keys, record, ttl: dedupeSeconds }]);
      return flags;
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
