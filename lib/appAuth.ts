/**
 * The mini-program app signature, shared by every public HTTP API:
 * `x-mkt-signature` = lowercase hex HMAC-SHA256(app secret,
 *   METHOD + "\n" + path + "\n" + timestamp + "\n" + nonce + "\n" + hex(SHA-256(raw body))).
 * Replayed nonces are refused by the caller, which holds the nonce store.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from './errors';

export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface SignedHeaders {
  'x-mkt-app-id': string;
  'x-mkt-timestamp': string;
  'x-mkt-nonce': string;
  'x-mkt-signature': string;
}

/** Every GET signs an empty body. */
const EMPTY_BODY_HASH = createHash('sha256').digest('hex');

export function signature(secret: string, method: string, path: string, timestamp: string, nonce: string, body: Buffer | string): string {
  const bodyHash = body.length === 0 ? EMPTY_BODY_HASH : createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', secret).update(`${method}\n${path}\n${timestamp}\n${nonce}\n${bodyHash}`).digest('hex');
}

/** Headers a client sends (used by the simulator, benchmarks and tests). */
export function signRequest(appId: string, secret: string, method: string, path: string, body: Buffer | string, nowMs = Date.now()): SignedHeaders {
  const timestamp = String(nowMs);
  const nonce = randomBytes(12).toString('hex');
  return { 'x-mkt-app-id': appId, 'x-mkt-timestamp': timestamp, 'x-mkt-nonce': nonce, 'x-mkt-signature': signature(secret, method, path, timestamp, nonce, body) };
}

const unauthorized = (code: string, message: string) => new AppError(401, code, message);

export interface VerifiedRequest {
  appId: string;
  nonce: string;
  /** The client's clock when it signed (epoch ms): server time minus this is the clock skew. */
  clientTime: number;
}

/** Checks the headers and signature of a request; throws 401 with a code saying what is wrong. */
export function verifyRequest(
  appKeys: Record<string, string>,
  headers: Record<string, string | string[] | undefined>,
  method: string,
  path: string,
  body: Buffer,
  nowMs: number,
): VerifiedRequest {
  const h = (name: keyof SignedHeaders) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const appId = h('x-mkt-app-id');
  const timestamp = h('x-mkt-timestamp');
  const nonce = h('x-mkt-nonce');
  const sig = h('x-mkt-signature');
  if (!appId || !timestamp || !nonce || !sig) {
    throw unauthorized('missing_signature', 'x-mkt-app-id, x-mkt-timestamp, x-mkt-nonce and x-mkt-signature are required');
  }
  const secret = Object.prototype.hasOwnProperty.call(appKeys, appId) ? appKeys[appId] : undefined;
  if (!secret) throw unauthorized('unknown_app', 'x-mkt-app-id names no known app');
  if (nonce.length < 16 || nonce.length > 64) throw unauthorized('bad_nonce', 'x-mkt-nonce must be 16-64 characters');
  const clientTime = Number(timestamp);
  if (!/^\d{1,15}$/.test(timestamp)) throw unauthorized('bad_timestamp', 'x-mkt-timestamp must be epoch milliseconds');
  if (Math.abs(nowMs - clientTime) > MAX_CLOCK_SKEW_MS) throw unauthorized('stale_timestamp', 'x-mkt-timestamp is more than 5 minutes from server time');
  const expected = Buffer.from(signature(secret, method, path, timestamp, nonce, body), 'hex');
  const given = Buffer.from(/^[0-9a-f]{64}$/.test(sig) ? sig : '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthorized('bad_signature', 'x-mkt-signature does not match the request');
  return { appId, nonce, clientTime };
}
