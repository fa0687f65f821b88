/**
 * Who is calling, for every public HTTP API. Two kinds of caller:
 * - `server`: the merchant's backend or our own tools, signing each request with the app's server
 *   secret (lib/auth/signature.ts); may act for any user; nonces are single-use where the caller
 *   holds a nonce store (ingest).
 * - `token`: a mini-program, with a short-lived token bound to one user or install
 *   (lib/auth/tokens.ts); acts only for that user.
 * Each app may list two secrets at once while one is rotated out.
 */
import { AppError } from '#lib/errors';
import { TokenRevocations, type RevocationStore } from './revocations';
import { matchesAny, MAX_CLOCK_SKEW_MS, signature } from './signature';
import { issueToken, readToken, tokenMadeByAny, type TokenClaims, type TokenSubject } from './tokens';

export { signRequest, type SignedHeaders } from './signature';
export { DEFAULT_TOKEN_TTL_S, MAX_TOKEN_TTL_S, type TokenSubject } from './tokens';
export { TokenRevocations, type RevocationStore } from './revocations';

/** appId → its server secrets, the current one first. */
export type AppSecrets = Record<string, string[]>;

export type Caller =
  | { kind: 'server'; appId: string; nonce: string; clientTime: number }
  | { kind: 'token'; appId: string; subject: TokenSubject; clientTime?: number };

export interface IncomingCall {
  method: string;
  path: string;
  /** The query as the handler reads it. */
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const unauthorized = (code: string, message: string) => new AppError(401, code, message);
const ONE_DAY_MS = 86_400_000;
/** Tokens already verified by this instance (a phone sends the same one for hours): a bounded memo, cleared when full. */
const VERIFIED_MEMO = 50_000;

const header = (headers: IncomingCall['headers'], name: string) => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export class Authenticator {
  private readonly verified = new Map<string, TokenClaims>();

  constructor(
    private readonly secrets: AppSecrets,
    private readonly revocations: TokenRevocations,
    private readonly clock: () => number,
  ) {}

  private secretsOf(appId: string): string[] | undefined {
    return Object.hasOwn(this.secrets, appId) ? this.secrets[appId] : undefined;
  }

  /** The caller of a request, or a 401 whose code says what is wrong. */
  authenticate(call: IncomingCall): Caller {
    const authorization = header(call.headers, 'authorization');
    if (authorization !== undefined) return this.tokenCaller(authorization, call);
    if (header(call.headers, 'x-mkt-signature') !== undefined) return this.serverCaller(call);
    throw unauthorized(
      'missing_credentials',
      'send Authorization: Bearer <token> (mini-programs) or the x-mkt-* signature headers (servers)',
    );
  }

  private serverCaller(call: IncomingCall): Caller {
    const [appId, timestamp, nonce, sig] = ['x-mkt-app-id', 'x-mkt-timestamp', 'x-mkt-nonce', 'x-mkt-signature'].map((n) =>
      header(call.headers, n),
    );
    if (!appId || !timestamp || !nonce || !sig)
      throw unauthorized('missing_signature', 'x-mkt-app-id, x-mkt-timestamp, x-mkt-nonce and x-mkt-signature are required');
    const secrets = this.secretsOf(appId);
    if (!secrets) throw unauthorized('unknown_app', 'x-mkt-app-id names no known app');
    if (nonce.length < 16 || nonce.length > 64) throw unauthorized('bad_nonce', 'x-mkt-nonce must be 16-64 characters');
    if (!/^\d{1,15}$/.test(timestamp)) throw unauthorized('bad_timestamp', 'x-mkt-timestamp must be epoch milliseconds');
    const clientTime = Number(timestamp);
    if (Math.abs(this.clock() - clientTime) > MAX_CLOCK_SKEW_MS)
      throw unauthorized('stale_timestamp', 'x-mkt-timestamp is more than 5 minutes from server time');
    if (!matchesAny(secrets, sig, (secret) => signature(secret, call.method, call.path, call.query, timestamp, nonce, call.body))) {
      throw unauthorized('bad_signature', 'x-mkt-signature does not match the request (method, path, query and body)');
    }
    return { kind: 'server', appId, nonce, clientTime };
  }

  /** The claims of a token one of its app's secrets made; verified once per instance. */
  private verifiedClaims(token: string): TokenClaims | undefined {
    const known = this.verified.get(token);
    if (known) return known;
    const read = readToken(token);
    const secrets = read && this.secretsOf(read.appId);
    if (!read || !secrets || !tokenMadeByAny(secrets, read)) return undefined;
    if (this.verified.size >= VERIFIED_MEMO) this.verified.clear();
    const claims = {
      appId: read.appId,
      userId: read.userId,
      anonymousId: read.anonymousId,
      issuedAt: read.issuedAt,
      expiresAt: read.expiresAt,
    };
    this.verified.set(token, claims);
    return claims;
  }

  private tokenCaller(authorization: string, call: IncomingCall): Caller {
    const m = /^Bearer ([\x21-\x7e]+)$/.exec(authorization);
    const token = m ? this.verifiedClaims(m[1]) : undefined;
    if (!token) throw unauthorized('invalid_token', 'the bearer token is not one this platform issued');
    const now = this.clock();
    if (token.expiresAt <= now) throw unauthorized('expired_token', 'the token has expired: ask the backend for a new one');
    if (token.issuedAt < this.revocations.revokedBefore(token.appId))
      throw unauthorized('revoked_token', "the app's tokens were revoked: ask the backend for a new one");
    // The phone's clock, unsigned, only to correct event times; ignored when absurd.
    const stated = Number(header(call.headers, 'x-mkt-timestamp'));
    const clientTime = Number.isSafeInteger(stated) && Math.abs(now - stated) <= ONE_DAY_MS ? stated : undefined;
    return { kind: 'token', appId: token.appId, subject: { userId: token.userId, anonymousId: token.anonymousId }, clientTime };
  }

  /** A token for `subject`, made with the app's current secret. */
  issue(appId: string, subject: TokenSubject, ttlS: number): { token: string; expiresAt: number } {
    const issuedAt = this.clock();
    const claims: TokenClaims = { appId, ...subject, issuedAt, expiresAt: issuedAt + ttlS * 1000 };
    return { token: issueToken(this.secretsOf(appId)![0], claims), expiresAt: claims.expiresAt };
  }

  /** Re-reads the apps' token revocations (an instance's initializer awaits it). */
  refreshRevocations(): Promise<void> {
    return this.revocations.refresh();
  }

  revokeTokens(appId: string): Promise<number> {
    return this.revocations.revoke(appId);
  }
}

/** The authenticator of an instance: the apps' secrets, revocations kept in the feature store. */
export const authenticatorFor = (secrets: AppSecrets, store: RevocationStore, clock: () => number) =>
  new Authenticator(secrets, new TokenRevocations(store, clock), clock);

/** Whether the caller may act for this user (`user_id`) and/or install (`anonymous_id`). */
export function speaksFor(caller: Caller, who: { userId?: string; anonymousId?: string }): boolean {
  if (caller.kind === 'server') return true;
  const { userId, anonymousId } = caller.subject;
  if (who.userId !== undefined) return who.userId === userId;
  return who.anonymousId !== undefined && who.anonymousId === anonymousId;
}
