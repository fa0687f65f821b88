/** Ingest's server-to-server endpoints (tokens, profiles) admit only the backend's signed requests, each nonce once. */
import type { Caller } from '#lib/auth';
import { AppError } from '#lib/errors';
import { DEDUPE_SECONDS } from '#lib/eventLog';
import { admissionOf, refusalError, type IngestDeps, type IngestRequest } from './ingestBatch';

/** The backend's app, once its signature is checked; a token caller gets 403 `server_only`. */
export function backendCaller(deps: IngestDeps, path: string, req: IngestRequest): Caller {
  const caller = deps.auth.authenticate({ method: 'POST', path, query: req.query, headers: req.headers, body: req.body });
  if (caller.kind !== 'server') throw new AppError(403, 'server_only', `only the backend (a server-signed request) may call ${path}`);
  return caller;
}

/** Spends the request's nonce and `cost` of the app's quota, or refuses it (replayed, over quota). */
export async function admit(deps: IngestDeps, caller: Caller, cost = 1): Promise<void> {
  const receivedAt = deps.clock();
  const admitted = await deps.log.append([], Buffer.alloc(0), DEDUPE_SECONDS, admissionOf(caller, cost, deps.rateLimitPerMinute, receivedAt));
  if (admitted.refused) throw refusalError(admitted.refused, caller.appId, deps.rateLimitPerMinute, receivedAt);
}
