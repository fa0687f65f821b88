/**
 * Server-to-server request signatures (the merchant's backend, imports, our own functions),
 * with a server secret that never ships to a phone:
 *   x-mkt-signature = lowercase hex HMAC-SHA256(server secret,
 *     METHOD \n path \n canonical query \n timestamp \n nonce \n hex(SHA-256(raw body)))
 * The canonical query is every parameter percent-encoded (RFC 3986), sorted by name then value,
 * joined with `&`, so a signature covers exactly the request it was made for.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface SignedHeaders {
  'x-mkt-app-id': string;
  'x-mkt-timestamp': string;
  'x-mkt-nonce': string;
  'x-mkt-signature': string;
}

/** Every GET signs an empty body. */
const EMPTY_BODY_HASH = createHash('sha256').digest('hex');

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The parameters as the server reads them (`+` is a space), in canonical form. */
export function canonicalQuery(query: URLSearchParams): string {
  return [...query]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export function signature(
  secret: string,
  method: string,
  path: string,
  query: URLSearchParams,
  timestamp: string,
  nonce: string,
  body: Buffer | string,
): string {
  const bodyHash = body.length === 0 ? EMPTY_BODY_HASH : createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', secret)
    .update(`${method}\n${path}\n${canonicalQuery(query)}\n${timestamp}\n${nonce}\n${bodyHash}`)
    .digest('hex');
}

/** Headers a server-to-server caller sends for `METHOD url` (the url may carry a query). */
export function signRequest(
  appId: string,
  secret: string,
  method: string,
  url: string,
  body: Buffer | string,
  nowMs = Date.now(),
): SignedHeaders {
  const { pathname, searchParams } = new URL(url, 'http://mkt');
  const timestamp = String(nowMs);
  const nonce = randomBytes(12).toString('hex');
  return {
    'x-mkt-app-id': appId,
    'x-mkt-timestamp': timestamp,
    'x-mkt-nonce': nonce,
    'x-mkt-signature': signature(secret, method, pathname, searchParams, timestamp, nonce, body),
  };
}

/** Whether `given` (hex) is the signature of the request under any of `secrets`; constant time per secret. */
export function matchesAny(secrets: readonly string[], given: string, sign: (secret: string) => string): boolean {
  const g = Buffer.from(/^[0-9a-f]{64}$/.test(given) ? given : '', 'hex');
  let ok = false;
  for (const secret of secrets) {
    const expected = Buffer.from(sign(secret), 'hex');
    ok = (g.length === expected.length && timingSafeEqual(g, expected)) || ok;
  }
  return ok;
}
