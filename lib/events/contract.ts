/**
 * The event contract (ingest's API): one bad event is rejected with a code and a message naming the field,
 * and the rest of the batch goes on. Hand-written checks, as this runs for every event.
 */
import { STANDARD_EVENT_TYPES } from './behaviour';
import { checkEach, Invalid, isObject } from '#lib/contractCheck';

export interface Rejection {
  index: number;
  event_id: string | null;
  code: string;
  message: string;
}

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

/** What the client sent, checked; the server adds its fields in ingestBatch. */
export type ClientEvent = Omit<RawEvent, 'app_id' | 'event_time' | 'received_at' | 'client_ip'>;

export const MAX_EVENTS = 500;
const MAX_ITEM_IDS = 100;
const MAX_PROPERTIES_BYTES = 4096;
const MAX_PROPERTIES_DEPTH = 32;
const MAX_ID = 128;
/** Bounds that keep every figure computed from an event finite (revenue is price × quantity, summed). */
const MAX_PRICE = 1e9;
const MAX_QUANTITY = 1e6;
/** The last millisecond of year 9999: a time every date function can still format. */
const MAX_TS = 253_402_300_799_999;
/**
 * A UTF-16 half with no partner (JSON can escape one). Ids are keys in Redis, which stores UTF-8,
 * where every lone half becomes the same U+FFFD: two different ids would collide.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const isId = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max && !LONE_SURROGATE.test(v);
const PLATFORMS = new Set(['wechat', 'alipay', 'douyin', 'h5']);
const TYPES = new Set<string>(STANDARD_EVENT_TYPES);
const CUSTOM_TYPE = /^x_[a-z0-9_]{1,40}$/;
const KNOWN_FIELDS = new Set([
  'event_id',
  'type',
  'user_id',
  'anonymous_id',
  'ts',
  'item_id',
  'item_ids',
  'category',
  'price',
  'quantity',
  'order_id',
  'properties',
  'context',
]);
const CONTEXT_FIELDS = new Set(['platform', 'scene', 'page', 'app_version']);

function optionalString(e: Record<string, unknown>, field: string, max: number): string | undefined {
  const v = e[field];
  if (v === undefined || v === null) return undefined;
  if (!isId(v, max)) throw new Invalid(`invalid_${field}`, `${field} must be a string of 1-${max} characters (whole Unicode characters)`);
  return v;
}

function checkEvent(raw: unknown): ClientEvent {
  if (!isObject(raw)) throw new Invalid('not_an_object', 'event must be a JSON object');
  for (const field in raw)
    if (!KNOWN_FIELDS.has(field)) throw new Invalid('unknown_field', `unknown field ${field.slice(0, 64)} (put custom data in properties)`);
  const event_id = raw.event_id;
  if (!isId(event_id, 64)) throw new Invalid('invalid_event_id', 'event_id must be a string of 1-64 characters (whole Unicode characters)');
  const type = raw.type;
  if (typeof type !== 'string' || !(TYPES.has(type) || CUSTOM_TYPE.test(type))) {
    throw new Invalid('invalid_type', `type must be one of ${STANDARD_EVENT_TYPES.join(', ')} or a custom type x_<name>`);
  }
  const user_id = optionalString(raw, 'user_id', MAX_ID);
  const anonymous_id = optionalString(raw, 'anonymous_id', MAX_ID);
  if (!user_id && !anonymous_id) throw new Invalid('missing_user', 'user_id or anonymous_id is required');
  const ts = raw.ts;
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts <= 0 || ts > MAX_TS)
    throw new Invalid('invalid_ts', 'ts must be epoch milliseconds (an integer before year 10000)');
  const event: ClientEvent = { event_id, type, ts };
  if (user_id) event.user_id = user_id;
  if (anonymous_id) event.anonymous_id = anonymous_id;
  const item_id = optionalString(raw, 'item_id', MAX_ID);
  if (item_id) event.item_id = item_id;
  if (raw.item_ids !== undefined) {
    const ids = raw.item_ids;
    if (!Array.isArray(ids) || ids.length > MAX_ITEM_IDS || !ids.every((i) => isId(i, MAX_ID))) {
      throw new Invalid('invalid_item_ids', `item_ids must be an array of at most ${MAX_ITEM_IDS} item ids`);
    }
    event.item_ids = ids as string[];
  }
  const category = optionalString(raw, 'category', MAX_ID);
  if (category) event.category = category;
  if (raw.price !== undefined) {
    if (typeof raw.price !== 'number' || !(raw.price >= 0 && raw.price <= MAX_PRICE))
      throw new Invalid('invalid_price', `price must be a number from 0 to ${MAX_PRICE}`);
    event.price = raw.price;
  }
  if (raw.quantity !== undefined) {
    if (typeof raw.quantity !== 'number' || !Number.isInteger(raw.quantity) || raw.quantity < 1 || raw.quantity > MAX_QUANTITY)
      throw new Invalid('invalid_quantity', `quantity must be an integer from 1 to ${MAX_QUANTITY}`);
    event.quantity = raw.quantity;
  }
  const order_id = optionalString(raw, 'order_id', MAX_ID);
  if (order_id) event.order_id = order_id;
  if (raw.properties !== undefined) {
    if (!isObject(raw.properties) || !jsonWithin(raw.properties, MAX_PROPERTIES_BYTES, MAX_PROPERTIES_DEPTH)) {
      throw new Invalid(
        'invalid_properties',
        `properties must be an object of at most ${MAX_PROPERTIES_BYTES} bytes as JSON, nested at most ${MAX_PROPERTIES_DEPTH} deep`,
      );
    }
    event.properties = raw.properties;
  }
  if (raw.context !== undefined) event.context = checkContext(raw.context);
  return event;
}

/**
 * Whether `value` is within `maxBytes` as JSON and `maxDepth` deep. It is walked without
 * recursion and given up on as soon as it is not (each value is at least one byte of JSON), so
 * only a bounded value reaches JSON.stringify, whose recursion a deep one would overflow.
 */
function jsonWithin(value: unknown, maxBytes: number, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  let seen = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++seen + stack.length > maxBytes) return false;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > maxDepth) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return Buffer.byteLength(JSON.stringify(value)) <= maxBytes;
}

function checkContext(raw: unknown): ClientEvent['context'] {
  if (!isObject(raw)) throw new Invalid('invalid_context', 'context must be an object');
  const context: NonNullable<ClientEvent['context']> = {};
  for (const field in raw) {
    if (!CONTEXT_FIELDS.has(field)) throw new Invalid('invalid_context', `unknown field context.${field.slice(0, 64)}`);
    const v = raw[field];
    if (typeof v !== 'string' || v.length > 256 || LONE_SURROGATE.test(v))
      throw new Invalid('invalid_context', `context.${field} must be a string of at most 256 whole Unicode characters`);
    if (field === 'platform' && !PLATFORMS.has(v))
      throw new Invalid('invalid_context', 'context.platform must be one of wechat, alipay, douyin, h5');
    context[field as keyof typeof context] = v;
  }
  return context;
}

/** Splits a batch into valid events (with their batch index) and rejections. */
export function validateEvents(events: unknown[]): { valid: { index: number; event: ClientEvent }[]; rejected: Rejection[] } {
  const { valid, rejected } = checkEach(events, checkEvent, (raw) =>
    isObject(raw) && typeof raw.event_id === 'string' ? raw.event_id.slice(0, 64) : null,
  );
  return {
    valid: valid.map(({ index, value }) => ({ index, event: value })),
    rejected: rejected.map(({ id, ...r }) => ({ ...r, event_id: id })),
  };
}
