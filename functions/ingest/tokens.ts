/**
 * The token service, for the merchant's backend only (server-signed): `POST /v1/tokens` issues a
 * mini-program token bound to one user and/or anonymous install; `POST /v1/tokens/revoke`
 * refuses every token of the app issued before now. Each call's nonce is single-use, as ingest's;
 * issuing goes on through a store outage (serverCall.ts), revoking needs the store.
 */
import { DEFAULT_TOKEN_TTL_S, MAX_TOKEN_TTL_S, type TokenSubject } from '#lib/auth';
import { badRequest } from '#lib/errors';
import { jsonBody } from '#lib/fc/jsonBody';
import type { IngestDeps, IngestRequest } from './ingestBatch';
import { admit, admitTokenCall, backendCaller } from './serverCall';

export const TOKENS_PATH = '/v1/tokens';
export const REVOKE_PATH = '/v1/tokens/revoke';

function subjectOf(body: Buffer): { subject: TokenSubject; ttlS: number } {
  const doc = jsonBody(body) as Record<string, unknown>;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw badRequest('invalid_body', 'body must be a JSON object');
  const id = (field: string) => {
    const v = doc[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > 128)
      throw badRequest(`invalid_${field}`, `${field} must be a string of 1-128 characters`);
    return v;
  };
  const subject = { userId: id('user_id'), anonymousId: id('anonymous_id') };
  if (!subject.userId && !subject.anonymousId)
    throw badRequest('missing_user', 'give user_id, anonymous_id or both (the install of that user)');
  const ttlS = doc.ttl_s ?? DEFAULT_TOKEN_TTL_S;
  if (typeof ttlS !== 'number' || !Number.isInteger(ttlS) || ttlS < 60 || ttlS > MAX_TOKEN_TTL_S)
    throw badRequest('invalid_ttl_s', `ttl_s must be an integer from 60 to ${MAX_TOKEN_TTL_S}`);
  return { subject, ttlS };
}

export async function issueToken(deps: IngestDeps, req: IngestRequest) {
  const caller = backendCaller(deps, TOKENS_PATH, req);
  await admitTokenCall(deps, caller);
  const { subject, ttlS } = subjectOf(req.body);
  const { token, expiresAt } = deps.auth.issue(caller.appId, subject, ttlS);
  return { token, expires_at: expiresAt, user_id: subject.userId ?? null, anonymous_id: subject.anonymousId ?? null };
}

export async function revokeTokens(deps: IngestDeps, req: IngestRequest) {
  const caller = backendCaller(deps, REVOKE_PATH, req);
  await admit(deps, caller);
  deps.logger.warn('tokens revoked', { app: caller.appId });
  return { app_id: caller.appId, revoked_before: await deps.auth.revokeTokens(caller.appId) };
}
