/**
 * Reconciliation (the function's timer): a send still uncertain once its run has been quiet for
 * `reconcileAfterMs` (claimed without an outcome, or a request that got no answer, and no receipt
 * since) is looked up with the provider's query API for that number (Alibaba QuerySendDetails,
 * Tencent PullSmsSendStatusByPhoneNumber), and settled:
 *
 * - the provider has a carrier verdict on our message (its out id names this run) → that verdict;
 * - the provider took it and waits for the carrier → still uncertain, asked again next time;
 * - the provider has no such message → `undelivered` (`not_sent`): at once where it lists every
 *   message it took (Alibaba), only after the carriers' 72 hours where it lists only those with a
 *   status (Tencent).
 *
 * A run with nothing left uncertain is marked reconciled and passed by until it claims again.
 */
import { isUncertain, runOfOutId, type ContactLedger, type Delivery, type PersonState, type RunActivity } from '#lib/contacts';
import type { Logger } from '#lib/log';
import type { MetricsRecorder } from '#lib/metrics';
import type { ProfileBook } from '#lib/profiles';
import { requestPacer } from '#lib/sms/batchSender';
import type { DeliveryLookup, DeliveryRecord } from '#lib/sms/feedback';
import { noteDeliveries } from './afterDelivery';
import { CARRIER_REPORT_MS, LOOKBACK_MS } from './sends';
/** Queries one invocation makes at most (the rest wait for the next tick). */
export const MAX_QUERIES = 2000;
/** The provider's clock and ours may differ a little. */
const SLACK_MS = 60_000;

export interface ReconcileDeps {
  ledger: ContactLedger;
  profiles: ProfileBook;
  /** The provider's query API; none for the local outbox. */
  lookup?: DeliveryLookup;
  reconcileAfterMs: number;
  /** Provider requests a second (MKT_SMS_QPS), within the query's own limit. */
  qps: number;
  logger: Logger;
  metrics?: MetricsRecorder;
  priceMilliYuan?: number;
}

export interface ReconcileSummary {
  runs: number;
  uncertain: number;
  delivered: number;
  undelivered: number;
  /** Still uncertain: the provider waits for the carrier, the query failed, or the number is gone. */
  open: number;
  skipped?: string;
}

type Pass = { summary: ReconcileSummary; queriesLeft: number; pace: () => Promise<void>; nowMs: number };

export async function reconcile(deps: ReconcileDeps, nowMs: number): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { runs: 0, uncertain: 0, delivered: 0, undelivered: 0, open: 0 };
  if (!deps.lookup) {
    deps.logger.info('sms reconciliation skipped: the outbox has no provider to ask');
    return { ...summary, skipped: 'no_provider' };
  }
  const pass: Pass = {
    summary,
    queriesLeft: MAX_QUERIES,
    nowMs,
    pace: requestPacer(Math.min(deps.qps, deps.lookup.maxQps), Date.now, (ms) => new Promise((r) => setTimeout(r, ms))),
  };
  for (const activity of await deps.ledger.runsSince(nowMs - LOOKBACK_MS)) {
    // Still sending, or too recent for its receipts; or settled through its last claim.
    if (activity.lastClaimAt > nowMs - deps.reconcileAfterMs || (activity.reconciledThrough ?? -Infinity) >= activity.lastClaimAt) continue;
    summary.runs++;
    const open = await reconcileRun(deps, deps.lookup, activity, pass);
    if (open === 0) await deps.ledger.markReconciled(activity.run, activity.lastClaimAt);
  }
  deps.logger.info('sms reconciliation done', { ...summary });
  return summary;
}

/** One run's uncertain sends, a page at a time; how many are still open. */
async function reconcileRun(deps: ReconcileDeps, lookup: DeliveryLookup, activity: RunActivity, pass: Pass): Promise<number> {
  let open = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.ledger.scanPeople(activity.run, cursor, 1000);
    cursor = page.next;
    const uncertain = page.people.filter(([, state]) => isUncertain(state));
    if (uncertain.length === 0) continue;
    const kept = await deps.ledger.deliveriesOf(
      activity.run,
      uncertain.map(([id]) => id),
    );
    const unsettled = uncertain.filter((_entry, i) => kept[i] === undefined);
    pass.summary.uncertain += unsettled.length;
    const profiles = await deps.profiles.store.get(unsettled.map(([id]) => id));
    const settled: [string, Delivery][] = [];
    for (const [i, [userId, state]] of unsettled.entries()) {
      const phone = profiles[i] && deps.profiles.phoneOf(profiles[i]);
      const verdict = phone && pass.queriesLeft > 0 ? await ask(deps, lookup, activity, userId, state, phone, pass) : undefined;
      if (verdict) {
        settled.push([userId, verdict]);
        pass.summary[verdict.outcome]++;
      } else open++;
    }
    await deps.ledger.recordDeliveries(activity.run, settled);
    await noteDeliveries(deps, activity.run, settled);
  } while (cursor !== undefined);
  pass.summary.open += open;
  return open;
}

async function ask(
  deps: ReconcileDeps,
  lookup: DeliveryLookup,
  activity: RunActivity,
  userId: string,
  state: PersonState,
  phone: string,
  pass: Pass,
): Promise<Delivery | undefined> {
  pass.queriesLeft--;
  await pass.pace();
  const sentFrom = state.status === 'claimed' ? state.at : activity.firstClaimAt;
  try {
    return verdictOf(lookup, await lookup.recordsOf(phone, sentFrom - SLACK_MS, pass.nowMs), activity.run, sentFrom, pass.nowMs);
  } catch (err) {
    deps.logger.warn('sms delivery query failed; asked again next time', { run: activity.run, userId, err });
    return undefined;
  }
}

/** What the records say of this run's message, if they settle it. */
export function verdictOf(
  lookup: DeliveryLookup,
  records: DeliveryRecord[],
  run: string,
  sentFrom: number,
  nowMs: number,
): Delivery | undefined {
  const ours = records
    .filter((r) => (r.outId ? runOfOutId(r.outId) === run : !lookup.echoesOutId && r.at >= sentFrom - SLACK_MS))
    .sort((a, b) => b.at - a.at);
  const final = ours.find((r) => r.status !== 'pending');
  if (final) {
    return {
      outcome: final.status === 'delivered' ? 'delivered' : 'undelivered',
      code: final.code,
      description: final.description,
      at: final.at,
      provider: lookup.provider,
      messageId: final.messageId,
      via: 'query',
    };
  }
  if (ours.length > 0) return undefined;
  if (lookup.listsEverySend) return { outcome: 'undelivered', code: 'not_sent', at: nowMs, provider: lookup.provider, via: 'no_record' };
  // Carriers report within 72 hours: a provider that lists only reported messages proves nothing before.
  return nowMs - sentFrom > CARRIER_REPORT_MS
    ? { outcome: 'undelivered', code: 'no_record', at: nowMs, provider: lookup.provider, via: 'no_record' }
    : undefined;
}
