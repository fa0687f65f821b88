/**
 * The raw event log in the object store: gzip JSON lines under
 * `raw/events/dt=YYYY-MM-DD/hh=HH/` (Asia/Shanghai, by server receive time). Written by
 * `compact`, read by `train`.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { shanghaiDateHour } from './clock';

export const RAW_EVENTS_PREFIX = 'raw/events/';

/** One accepted event as stored: the client's fields plus what the server knows. */
export interface RawEvent {
  app_id: string;
  event_id: string;
  type: string;
  user_id?: string;
  anonymous_id?: string;
  /** Client time, epoch ms, as sent. */
  ts: number;
  /** Client time corrected by the clock skew between the client and the server. */
  event_time: number;
  /** Server receive time, epoch ms. */
  received_at: number;
  client_ip: string;
  item_id?: string;
  item_ids?: string[];
  category?: string;
  price?: number;
  quantity?: number;
  order_id?: string;
  properties?: Record<string, unknown>;
  context?: { platform?: string; scene?: string; page?: string; app_version?: string };
}

/** The folder of the partition an event received at `ms` belongs to. */
export function rawPartition(ms: number): string {
  const { date, hour } = shanghaiDateHour(ms);
  return `${RAW_EVENTS_PREFIX}dt=${date}/hh=${hour}/`;
}

export const encodeRawObject = (lines: string[]): Buffer => gzipSync(lines.join('\n') + '\n');

export function decodeRawObject(body: Buffer): RawEvent[] {
  return gunzipSync(body)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as RawEvent);
}
