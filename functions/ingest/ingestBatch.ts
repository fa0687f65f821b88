/**
 * The ingest use case: authenticate the caller (a server signature, or a mini-program's token
 * whose events must be about its own user or install), validate each event, make the new ones
 * durable (de-duplicated) in the event log, which also refuses replayed nonces and apps over
 * their quota in the same step, then update real-time features. An event is
 * counted as accepted only once the event log holds it; a feature-store failure after that
 * is logged, not returned, since the raw log already has the event.
 */
import { speaksFor, type Authenticator, type Caller } from '#lib/auth';
import { behaviourOf, userKeyOf } from '#lib/events/behaviour';
import type { Contact, ContactHistory } from '#lib/contacts';
import { within } from '#lib/deadline';
import { AppError } from '#lib/errors';
import { DEDUPE_SECONDS, type Admission, type EventLog, type Refusal } from '#lib/eventLog';
import { validateEvents, type ClientEvent, type Rejection } from '#lib/events/contract';
import type { FeatureStore } from '#lib/featureStore';
import type { Logger } from '#lib/log';
import type { MetricsRecorder } from '#lib/metrics';
import type { ProfileBook } from '#lib/profiles';
import { batchEventsOf, encodeBatchRecord } from '#lib/events/batchRecord';

export const EVENTS_PATH = '/v1/events';
export const NONCE_TTL_S = 600; // covers the ±5 minute timestamp window

export interface IngestDeps {
  log: EventLog;
  features: FeatureStore;
  /** Each person's contact history: what recommend showed them (exposure events). */
  contacts: ContactHistory;
  metrics: MetricsRecorder;
  auth: Authenticator;
  profiles: ProfileBook;
  rateLimitPerMinute: number;
  /** How long a batch waits for its real-time features before answering (the events are durable already). */
  featureBudgetMs: number;
  clock: () => number;
  logger: Logger;
}

export interface IngestRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The query string as received (a signature covers it). */
  query: URLSearchParams;
  body: Buffer;
  clientIp: string;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
}

/**
 * What a request must pass, in the same atomic step as its append: a server signature's nonce is
 * single-use, and the app stays within its quota.
 */
export function admissionOf(caller: Caller, cost: number, limit: number, receivedAt: number): Admission {
  return {
    nonce: caller.kind === 'server' ? `${caller.appId}:${caller.nonce}` : undefined,
    nonceSeconds: NONCE_TTL_S,
    quota: `${caller.appId}:${Math.floor(receivedAt / 60_000)}`,
    cost,
    limit,
    quotaSeconds: 120,
  };
}

export function refusalError(refusal: Refusal, appId: string, limit: number, receivedAt: number): AppError {
  return refusal === 'replayed_nonce'
    ? new AppError(401, 'replayed_nonce', 'x-mkt-nonce was already used; sign each attempt anew')
    : new AppError(429, 'rate_limited', `app ${appId} is over ${limit} events a minute`, {
        retryAfterS: 60 - Math.floor((receivedAt / 1000) % 60),
      });
}

/** Events a token may not send: those about another user or install than its own. */
function outsideTokenScope(caller: Caller, checked: ReturnType<typeof validateEvents>) {
  if (caller.kind === 'server') return checked;
  const valid: typeof checked.valid = [];
  const rejected = [...checked.rejected];
  for (const v of checked.valid) {
    if (speaksFor(caller, { userId: v.event.user_id, anonymousId: v.event.anonymous_id })) valid.push(v);
    else
      rejected.push({
        index: v.index,
        event_id: v.event.event_id,
        code: 'forbidden_user',
        message: 'the token may send only events about its own user or install',
      });
  }
  return { valid, rejected: rejected.sort((a, b) => a.index - b.index) };
}

/** The business figures in the events: items shown and clicked (click-through), purchases and revenue. */
function recordBusiness(metrics: IngestDeps['metrics'], events: ClientEvent[]): void {
  for (const e of events) {
    if (e.type === 'exposure') metrics.count('ItemExposures', e.item_ids?.length ?? 1);
    else if (e.type === 'click') metrics.count('ItemClicks', 1);
    else if (e.type === 'purchase') {
      metrics.count('Conversions', 1);
      metrics.count('RevenueYuan', (e.price ?? 0) * (e.quantity ?? 1));
    }
  }
}

export async function ingestBatch(deps: IngestDeps, req: IngestRequest): Promise<IngestResult> {
  const receivedAt = deps.clock();
  const caller = deps.auth.authenticate({ method: 'POST', path: EVENTS_PATH, query: req.query, headers: req.headers, body: req.body });
  const events = batchEventsOf(req.body);

  const { valid, rejected } = outsideTokenScope(caller, validateEvents(events));
  const skew = caller.clientTime === undefined ? 0 : receivedAt - caller.clientTime;
  // The body is stored as the app signed it; compact expands it into raw-log lines later.
  const record = encodeBatchRecord(
    { app_id: caller.appId, received_at: receivedAt, client_ip: req.clientIp, skew_ms: skew, valid: valid.map((v) => v.index) },
    req.body,
  );
  const keys = valid.map(({ event }) => `${caller.appId}:${event.event_id}`);
  const stored = await deps.log.append(
    keys,
    record,
    DEDUPE_SECONDS,
    admissionOf(caller, Math.max(events.length, 1), deps.rateLimitPerMinute, receivedAt),
  );
  if (stored.refused) throw refusalError(stored.refused, caller.appId, deps.rateLimitPerMinute, receivedAt);
  const { duplicate } = stored;
  const fresh = valid.filter((_, i) => !duplicate[i]).map(({ event }) => event);

  if (fresh.length > 0) {
    const shown = fresh
      .filter((e) => e.type === 'exposure' && e.item_ids?.length)
      .map((e): [string, Contact] => [userKeyOf(e), { channel: 'shown', at: e.ts + skew, items: e.item_ids! }]);
    const updates = Promise.all([deps.features.record(fresh.map((e) => behaviourOf(e, e.ts + skew))), deps.contacts.noteContacts(shown)]);
    await within(updates, deps.featureBudgetMs).catch((err) => {
      deps.metrics.count('FeatureUpdateFailures', 1, { function: 'ingest' });
      deps.logger.warn('feature update failed; events are durable and will train later', { err, events: fresh.length });
    });
  }
  const dims = { app: caller.appId };
  deps.metrics.count('EventsAccepted', fresh.length, dims);
  deps.metrics.count('EventsDuplicate', valid.length - fresh.length, dims);
  deps.metrics.count('EventsRejected', rejected.length, dims);
  deps.metrics.countRate('EventsPerSecond', fresh.length, dims);
  for (const r of rejected) deps.metrics.count('EventsRejectedByCode', 1, { code: r.code });
  recordBusiness(deps.metrics, fresh);
  return { accepted: fresh.length, duplicates: valid.length - fresh.length, rejected };
}
