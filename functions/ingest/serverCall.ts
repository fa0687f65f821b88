/** Ingest's server-to-server endpoints (tokens, profiles) admit only the backend's signed requests, each nonce once. */
import type { Caller } from '#lib/auth';
import { NonceMemo } from '#lib/auth/nonceMemo';
import { DeadlineExceeded, within } from '#lib/deadline';
import { AppError, unavailable } from '#lib/errors';
import { DEDUPE_SECONDS } from '#lib/eventLog';
import { admissionOf, NONCE_TTL_S, refusalError, type IngestDeps, type IngestRequest } from './ingestBatch';

/** How long a token call waits for the store to admit it before this instance's own nonce guard decides. */
const TOKEN_ADMISSION_BUDGET_MS = 500;
const admittedHere = new NonceMemo(NONCE_TTL_S * 1000);

type ServerCaller = Extract<Caller, { kind: 'server' }>;

/** The backend's app, once its signature is checked; a token caller gets 403 `server_only`. */
export function backendCaller(deps: IngestDeps, path: string, req: IngestRequest): ServerCaller {
  const caller = deps.auth.authenticate({ method: 'POST', path, query: req.query, headers: req.headers, body: req.body });
  if (caller.kind !== 'server') throw new AppError(403, 'server_only', `only the backend (a server-signed request) may call ${path}`);
  return caller;
}

/**
 * Spends the request's nonce and `cost` of the app's quota, or refuses it (replayed, over quota).
 * A store failure is a 503 named for what the endpoint could not reach.
 */
export async function admit(deps: IngestDeps, caller: Caller, cost = 1, storeCode = 'event_log_unavailable'): Promise<void> {
  const receivedAt = deps.clock();
  const admitted = await deps.log
    .append([], Buffer.alloc(0), DEDUPE_SECONDS, admissionOf(caller, cost, deps.rateLimitPerMinute, receivedAt))
    .catch((err) => {
      throw err instanceof AppError && err.status === 503 ? unavailable(storeCode, err.message, err) : err;
    });
  if (admitted.refused) throw refusalError(admitted.refused, caller.appId, deps.rateLimitPerMinute, receivedAt);
}

/**
 * A token call needs no store to be answered, only its nonce spent: when the store fails or is
 * slower than the budget, the nonce is checked against those this instance admitted and the
 * quota goes unchecked, so phones keep getting tokens through an outage (docs/api.md says what
 * that leaves open). Every admitted nonce is noted here too, so a replay to this instance is
 * refused whatever the store's state.
 */
export async function admitTokenCall(deps: IngestDeps, caller: ServerCaller): Promise<void> {
  const nonce = `${caller.appId}:${caller.nonce}`;
  try {
    await within(admit(deps, caller), TOKEN_ADMISSION_BUDGET_MS);
  } catch (err) {
    const storeDown = err instanceof DeadlineExceeded || (err instanceof AppError && err.status === 503);
    if (!storeDown) throw err;
    if (!admittedHere.use(nonce, deps.clock())) throw refusalError('replayed_nonce', caller.appId, deps.rateLimitPerMinute, deps.clock());
    deps.metrics.count('AdmittedWithoutStore', 1, { function: 'ingest' });
    deps.logger.warn('token call admitted by this instance alone: the store is unavailable', { app: caller.appId, err });
    return;
  }
  admittedHere.use(nonce, deps.clock());
}
