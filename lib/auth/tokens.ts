/**
 * Short-lived tokens for calls from phones. A mini-program ships to every phone, so nothing in
 * it is secret: the merchant's backend, which knows who logged in, asks `POST /v1/tokens`
 * (server-signed) for a token bound to one app and one user and/or one anonymous install, and the
 * mini-program sends it as `Authorization: Bearer <token>`.
 *   token = "mkt1." + base64url(JSON {app, uid?, aid?, iat, exp}) + "." + base64url(HMAC-SHA256(key, "mkt1." + payload))
 * where key = HMAC-SHA256(server secret, "mkt token key v1"). Any of the app's secrets verifies a
 * token, so rotating a secret (two listed at once) invalidates nothing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'mkt1.';
const MAX_TOKEN_LENGTH = 1024;
export const DEFAULT_TOKEN_TTL_S = 7200;
export const MAX_TOKEN_TTL_S = 86_400;

/** Whom a token speaks for: a logged-in user, an anonymous install, or both (the install of that user). */
export interface TokenSubject {
  userId?: string;
  anonymousId?: string;
}

export interface TokenClaims extends TokenSubject {
  appId: string;
  /** Issued at and expires at, epoch ms. */
  issuedAt: number;
  expiresAt: number;
}

const keys = new Map<string, Buffer>();
/** A token key per secret, derived once (a separate key, so a token never doubles as a request signature). */
const tokenKey = (secret: string) => {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createHmac('sha256', secret).update('mkt token key v1').digest()));
  return key;
};

const mac = (secret: string, signed: string) => createHmac('sha256', tokenKey(secret)).update(signed).digest();

export function issueToken(secret: string, claims: TokenClaims): string {
  const payload = Buffer.from(
    JSON.stringify({ app: claims.appId, uid: claims.userId, aid: claims.anonymousId, iat: claims.issuedAt, exp: claims.expiresAt }),
  ).toString('base64url');
  const signed = `${PREFIX}${payload}`;
  return `${signed}.${mac(secret, signed).toString('base64url')}`;
}

/** Unpadded base64url of a SHA-256 MAC: 32 bytes. */
const MAC_CHARS = 43;
/**
 * Whether `part` is the one spelling of its bytes: unpadded base64url with no stray bits, so a
 * token has exactly one form (Node's decoder would also take padding, `+/` and trailing junk).
 */
const isCanonical = (part: string) => /^[A-Za-z0-9_-]+$/.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part;

const optionalId = (v: unknown) =>
  v === undefined || (typeof v === 'string' && v.length > 0 && v.length <= 128) ? (v as string | undefined) : null;

/** The claims of a well-formed token, not yet verified; undefined for anything else. */
export function readToken(token: string): (TokenClaims & { signed: string; mac: Buffer }) | undefined {
  if (token.length > MAX_TOKEN_LENGTH || !token.startsWith(PREFIX)) return undefined;
  const [payload, tag, extra] = token.slice(PREFIX.length).split('.');
  if (!payload || !tag || extra !== undefined || !isCanonical(payload) || tag.length !== MAC_CHARS || !isCanonical(tag)) return undefined;
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof p !== 'object' || p === null || typeof p.app !== 'string' || !Number.isSafeInteger(p.iat) || !Number.isSafeInteger(p.exp))
    return undefined;
  const [userId, anonymousId] = [optionalId(p.uid), optionalId(p.aid)];
  if (userId === null || anonymousId === null || (!userId && !anonymousId)) return undefined;
  return {
    appId: p.app,
    userId,
    anonymousId,
    issuedAt: p.iat as number,
    expiresAt: p.exp as number,
    signed: `${PREFIX}${payload}`,
    mac: Buffer.from(tag, 'base64url'),
  };
}

/** Whether one of `secrets` made this token; constant time per secret. */
export function tokenMadeByAny(secrets: readonly string[], token: { signed: string; mac: Buffer }): boolean {
  let ok = false;
  for (const secret of secrets) {
    const expected = mac(secret, token.signed);
    ok = (token.mac.length === expected.length && timingSafeEqual(token.mac, expected)) || ok;
  }
  return ok;
}
