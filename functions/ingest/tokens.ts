/**
 * The token service, for the merchant's backend only (server-signed): `POST /v1/tokens` issues a
 * mini-program token bound to one user and/or anonymous install; `POST /v1/tokens/revoke`
 * refuses every token of the app issued before now. Each call's nonce is single-use, as ingest's.
 */
import { DEFAULT_TOKEN_TTL_S, MAX_TOKEN_TTL_S, type TokenSubject } from '#lib/auth';
import { AppError, badRequest } from '#lib/errors';
import { DEDUPE_SECONDS } from '#lib/eventLog';
import { admissionOf, refusalError, type IngestDeps, type IngestRequest } from './ingestBatch';

export const TOKENS_PATH = '/v1/tokens';
export const REVOKE_PATH = '/v1/tokens/revoke';

const forbidden = () => new AppError(403, 'server_only', 'only the backend (a server-signed request) may issue or revoke tokens');

/** Authenticates a server caller and spends its nonce; a token caller is refused. */
async function serverCall(deps: IngestDeps, path: string, req: IngestRequest) {
  const receivedAt = deps.clock();
  const caller = deps.auth.authenticate({ method: 'POST', path, query: req.query, headers: req.headers, body: req.body });
  if (caller.kind !== 'server') throw forbidden();
  const admitted = await deps.log.append([], Buffer.alloc(0), DEDUPE_SECONDS, admissionOf(caller, 1, deps.rateLimitPerMinute, receivedAt));
  if (admitted.refused) throw refusalError(admitted.refused, caller.appId, deps.rateLimitPerMinute, receivedAt);
  return caller;
}

function subjectOf(body: Buffer): { subject: TokenSubject; ttlS: number } {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw badRequest('invalid_json', 'body is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw badRequest('invalid_body', 'body must be a JSON object');
  const id = (field: string) => {
    const v = doc[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > 128) throw badRequest(`invalid_${field}`, `${field} must be a string of 1-128 characters`);
    return v;
  };
  const subject = { userId: id('user_id'), anonymousId: id('anonymous_id') };
  if (!subject.userId && !subject.anonymousId) throw badRequest('missing_user', 'give user_id, anonymous_id or both (the install of that user)');
  const ttlS = doc.ttl_s ?? DEFAULT_TOKEN_TTL_S;
  if (typeof ttlS !== 'number' || !Number.isInteger(ttlS) || ttlS < 60 || ttlS > MAX_TOKEN_TTL_S) throw badRequest('invalid_ttl_s', `ttl_s must be an integer from 60 to ${MAX_TOKEN_TTL_S}`);
  return { subject, ttlS };
}

export async function issueToken(deps: IngestDeps, req: IngestRequest) {
  const caller = await serverCall(deps, TOKENS_PATH, req);
  const { subject, ttlS } = subjectOf(req.body);
  const { token, expiresAt } = deps.auth.issue(caller.appId, subject, ttlS);
  return { token, expires_at: expiresAt, user_id: subject.userId ?? null, anonymous_id: subject.anonymousId ?? null };
}

export async function revokeTokens(deps: IngestDeps, req: IngestRequest) {
  const caller = await serverCall(deps, REVOKE_PATH, req);
  deps.logger.warn('tokens revoked', { app: caller.appId });
  return { app_id: caller.appId, revoked_before: await deps.auth.revokeTokens(caller.appId) };
}
