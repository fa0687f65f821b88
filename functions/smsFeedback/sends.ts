/**
 * Finding the sends a push is about. The person is found by the number's keyed hash (the caller
 * does that). Alibaba echoes our out id on every report (`<run>|<user>`; a batch carries its first
 * person's, so the number names the person): it names the run, and a report without one is
 * another system's. Tencent's reports carry only the number and `sid`: the run is the recent one
 * whose send to the person has that `sid`, else the latest where the person's send is still
 * uncertain (its `sid` never reached us) and the report falls within the carriers' 72 hours of the
 * run's claims. The ledger is read once per run, for the whole push.
 */
import { isUncertain, runOfOutId, type Delivery, type DeliveryLedger, type PersonState, type RunLedger } from '#lib/contacts';
import type { DeliveryReport } from '#lib/sms/feedback';

/** How far back feedback is matched and sends are reconciled (Tencent keeps statuses 7 days). */
export const LOOKBACK_MS = 7 * 86_400_000;
/** Carriers report within 72 hours of a send. */
export const CARRIER_REPORT_MS = 72 * 3600_000;

export const deliveryOfReport = (r: DeliveryReport): Delivery => ({
  outcome: r.delivered ? 'delivered' : 'undelivered',
  code: r.code,
  description: r.description,
  at: r.reportedAt,
  provider: r.provider,
  messageId: r.messageId,
  segments: r.segments,
  via: 'receipt',
});

export type SendHint = Pick<DeliveryReport, 'provider' | 'outId' | 'messageId' | 'reportedAt'> & { userId: string };

/** Each hint's run, in order; undefined where no send of ours matches. */
export async function runsOfSends(ledger: RunLedger & DeliveryLedger, hints: SendHint[], nowMs: number): Promise<(string | undefined)[]> {
  const found: (string | undefined)[] = new Array(hints.length);
  const named = new Map<string, number[]>();
  const unnamed: number[] = [];
  hints.forEach((h, i) => {
    const run = h.outId === undefined ? undefined : runOfOutId(h.outId);
    if (run !== undefined) (named.get(run) ?? named.set(run, []).get(run)!).push(i);
    else if (h.outId === undefined && h.provider === 'tencent') unnamed.push(i);
  });
  // Named by our out id: the run, if it claimed the person.
  await Promise.all(
    [...named].map(async ([run, at]) => {
      const states = await ledger.statesOf(
        run,
        at.map((i) => hints[i].userId),
      );
      at.forEach((i, k) => (found[i] = states[k] ? run : undefined));
    }),
  );
  if (unnamed.length === 0) return found;
  // Not named: the recent runs, latest first, each read once for everyone in the push.
  const runs = (await ledger.runsSince(nowMs - LOOKBACK_MS)).sort((a, b) => b.lastClaimAt - a.lastClaimAt);
  const users = [...new Set(unnamed.map((i) => hints[i].userId))];
  const statesByRun = await Promise.all(runs.map(async (r) => zip(users, await ledger.statesOf(r.run, users))));
  for (const i of unnamed) {
    const { userId, messageId, reportedAt } = hints[i];
    const stateIn = (r: number) => statesByRun[r].get(userId);
    const exact = runs.findIndex((_r, r) => {
      const s = stateIn(r);
      return messageId !== undefined && s?.status === 'sent' && s.messageId === messageId;
    });
    const uncertain = runs.findIndex(
      (run, r) => isUncertain(stateIn(r)) && run.firstClaimAt <= reportedAt && reportedAt <= run.lastClaimAt + CARRIER_REPORT_MS,
    );
    found[i] = runs[exact >= 0 ? exact : uncertain]?.run;
  }
  return found;
}

const zip = (users: string[], states: (PersonState | undefined)[]) => new Map(users.map((u, k) => [u, states[k]]));
