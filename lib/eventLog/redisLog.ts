/**
 * The production event log: a Redis (Tair) stream. One Lua script per batch claims the
 * event ids (SET NX EX) and XADDs the new events, atomically, so a batch is either stored
 * and claimed or neither. `compact` reads it through a consumer group; unacked entries are
 * redelivered in order. All keys share one hash tag, so the script is cluster-safe.
 */
import Redis from 'ioredis';
import { unavailable } from '../errors';
import { groupCommit } from '../groupCommit';
import type { EventLog, LogEntry, LoggedEvent } from './port';

const APPEND = `
local ttl = ARGV[1]
local n = #KEYS - 1
local fields = {}
local dup = {}
for i = 1, n do
  if redis.call('SET', KEYS[i + 1], '1', 'NX', 'EX', ttl) then
    dup[i] = 0
    fields[#fields + 1] = 'e'
    fields[#fields + 1] = ARGV[i + 1]
  else
    dup[i] = 1
  end
end
if #fields > 0 then redis.call('XADD', KEYS[1], '*', unpack(fields)) end
return dup
`;

const GROUP = 'compact';
const CONSUMER = 'compact';

export interface RedisLogOptions {
  url: string;
  prefix: string;
  commandTimeoutMs?: number;
}

export class RedisEventLog implements EventLog {
  readonly describe: string;
  readonly redis: Redis & { mktAppend(keys: number, ...args: string[]): Promise<number[]> };
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

  private dedupeKey = (key: string) => `${this.o.prefix}{ingest}:seen:${key}`;

  /** Appends of concurrent requests go to Redis together, as one atomic script call. */
  private readonly appendGroup = groupCommit(async (batch: { event: LoggedEvent; ttl: number }[]) => {
    const keys = batch.map((b) => this.dedupeKey(b.event.key));
    const dup = await this.redis.mktAppend(keys.length + 1, this.stream, ...keys, String(batch[0].ttl), ...batch.map((b) => b.event.line));
    return dup.map((d) => d === 1);
  });

  async append(events: LoggedEvent[], dedupeSeconds: number): Promise<boolean[]> {
    if (events.length === 0) return [];
    try {
      return await this.appendGroup(events.map((event) => ({ event, ttl: dedupeSeconds })));
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
      const read = async (from: string) => {
        const reply = (await this.redis.xreadgroup('GROUP', GROUP, CONSUMER, 'COUNT', limit, 'STREAMS', this.stream, from)) as
          | [string, [string, string[] | null][]][]
          | null;
        return (reply?.[0]?.[1] ?? [])
          .filter(([, fields]) => fields !== null) // deleted while pending
          .map(([id, fields]) => ({ id, lines: fields!.filter((_, i) => i % 2 === 1) }));
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
