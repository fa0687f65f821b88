/**
 * Decoders from the raw invocation payload (a Buffer, as FC passes it) to typed values.
 * Each throws a 400 AppError naming what is wrong, so a bad event is dropped, not retried.
 */
import { badRequest } from '#lib/errors';
import type { FcHttpEvent, FcOssEvent, FcTimerEvent } from './types';

export interface HttpRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: Buffer;
  sourceIp: string;
  requestId: string;
  receivedAt: number;
}

export interface ObjectEvent {
  eventName: string;
  bucket: string;
  key: string;
  size: number;
  eTag: string;
  time: string;
  /** OSS's request id: the natural idempotency key, since FC may deliver an event twice. */
  requestId: string;
}

export interface TimerTick {
  triggerName: string;
  triggerTime: string;
  payload: string;
}

export type Invocation =
  | { kind: 'oss'; objects: ObjectEvent[] }
  | { kind: 'timer'; tick: TimerTick }
  | { kind: 'http'; request: HttpRequest }
  | { kind: 'direct'; payload: unknown };

export function parseJsonPayload(event: Buffer | string | object): unknown {
  if (!Buffer.isBuffer(event) && typeof event !== 'string') return event;
  const text = event.toString();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('bad_event', 'event payload is not JSON');
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function requireString(obj: Record<string, unknown>, field: string, where: string): string {
  const v = obj[field];
  if (typeof v !== 'string') throw badRequest('bad_event', `${where}.${field} must be a string`);
  return v;
}

export function decodeHttpEvent(raw: unknown): HttpRequest {
  if (!isObject(raw) || raw.version !== 'v1' || !isObject(raw.requestContext)) {
    throw badRequest('bad_event', 'not an FC HTTP trigger event (version v1 with requestContext)');
  }
  const e = raw as unknown as FcHttpEvent;
  const http = e.requestContext.http;
  if (!isObject(http)) throw badRequest('bad_event', 'requestContext.http is missing');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.headers ?? {})) headers[k.toLowerCase()] = String(v);
  const body = e.body ? Buffer.from(e.body, e.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
  return {
    method: requireString(http as unknown as Record<string, unknown>, 'method', 'requestContext.http').toUpperCase(),
    path: http.path,
    query: { ...(e.queryParameters ?? {}) },
    headers,
    body,
    sourceIp: http.sourceIp ?? '',
    requestId: e.requestContext.requestId ?? '',
    receivedAt: Number(e.requestContext.timeEpoch) || Date.now(),
  };
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

export function decodeOssEvent(raw: unknown): ObjectEvent[] {
  if (!isObject(raw) || !Array.isArray(raw.events)) throw badRequest('bad_event', 'not an OSS event (no events array)');
  return (raw as unknown as FcOssEvent).events.map((r, i) => {
    if (!isObject(r) || r.eventSource !== 'acs:oss' || !isObject(r.oss)) {
      throw badRequest('bad_event', `events[${i}] is not an OSS record`);
    }
    const { bucket, object } = r.oss;
    if (!isObject(bucket) || !isObject(object) || typeof object.key !== 'string') {
      throw badRequest('bad_event', `events[${i}].oss.object.key must be a string`);
    }
    return {
      eventName: r.eventName,
      bucket: bucket.name,
      key: decodeKey(object.key),
      size: Number(object.size) || 0,
      eTag: object.eTag,
      time: r.eventTime,
      requestId: r.responseElements?.requestId ?? `${object.key}:${object.eTag}`,
    };
  });
}

export function decodeTimerEvent(raw: unknown): TimerTick {
  if (!isObject(raw)) throw badRequest('bad_event', 'timer event must be an object');
  const e = raw as unknown as FcTimerEvent;
  const triggerTime = requireString(raw, 'triggerTime', 'timer');
  if (Number.isNaN(Date.parse(triggerTime))) throw badRequest('bad_event', 'timer.triggerTime is not a time');
  return { triggerName: requireString(raw, 'triggerName', 'timer'), triggerTime, payload: e.payload ?? '' };
}

/** Tells which trigger sent a payload, by its shape, and decodes it. */
export function decodeInvocation(event: Buffer | string | object): Invocation {
  const raw = parseJsonPayload(event);
  if (isObject(raw) && Array.isArray(raw.events)) return { kind: 'oss', objects: decodeOssEvent(raw) };
  if (isObject(raw) && 'triggerTime' in raw && 'triggerName' in raw) return { kind: 'timer', tick: decodeTimerEvent(raw) };
  if (isObject(raw) && raw.version === 'v1' && 'requestContext' in raw) return { kind: 'http', request: decodeHttpEvent(raw) };
  return { kind: 'direct', payload: raw };
}
