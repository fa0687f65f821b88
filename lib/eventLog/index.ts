import { now } from '#lib/clock';
import { redisUrlOf, usesRedis, type Config } from '#lib/config';
import { processShared } from '#lib/processShared';
import { LocalJournal } from './localJournal';
import type { EventLog } from './port';
import { RedisEventLog } from './redisLog';

export type { Admission, AppendResult, EventLog, LogEntry, Refusal } from './port';
export { DEDUPE_SECONDS } from './port';

/** A Redis stream when Redis is configured, else the local journal; one per process. */
export function eventLogFrom(c: Config): EventLog {
  return usesRedis(c)
    ? processShared(`eventLog:${c.redisUrl}:${c.redisPrefix}`, () => new RedisEventLog({ url: redisUrlOf(c), prefix: c.redisPrefix }))
    : processShared(`eventLog:${c.journalDir}`, () => new LocalJournal(c.journalDir, now));
}
