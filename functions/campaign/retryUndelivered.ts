/**
 * Sends once more to the people of a run who never got its message:
 * - always, to those whose send was uncertain (a batch that got no answer, a worker that died
 *   mid-batch) and whom reconciliation (sms-feedback) has since found the provider never received
 *   (`via: no_record`): their message was lost, not sent;
 * - with `retry_undelivered: true`, to those whose message was proven undelivered (a carrier's
 *   failure receipt).
 * Never to one whose send is still uncertain, which may have gone out. The retry is a run of its
 * own, `<run>~retry`, so claiming keeps it to once however often it is tried; it pays from the
 * first run's budget, and policy (consent, caps, quiet hours) applies again. The minute timer
 * tries every campaign's runs of the last day at the top of every hour, as verdicts come in:
 * reconciliation asks the provider 30 minutes after a run's last claim, when a message it took is
 * surely in its records, so a lost send goes out again within about 90 minutes.
 */
import { isUncertain, settlementOf, type Delivery, type DeliveryLedger, type PersonState, type RunActivity } from '#lib/contacts';
import type { StoredProfile } from '#lib/profiles';
import type { CampaignDefinition } from './definitions/definition';
import { quietUntil } from './policy';
import { sendTo, type RunDeps } from './runCampaign';

export const RETRY_SUFFIX = '~retry';
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export const retryDue = (minuteMs: number) => minuteMs % HOUR_MS === 0;

/**
 * Whether a person of the run is owed another send: their message never reached the provider, or (if
 * the campaign asks) was proven undelivered.
 */
function owedAnother(d: CampaignDefinition, state: PersonState, delivery: Delivery | undefined): boolean {
  if (isUncertain(state)) return delivery?.via === 'no_record';
  return d.retryUndelivered && state.status === 'sent' && settlementOf(state, delivery) === 'undelivered';
}

/** The campaign's first runs (not retries) that claimed anyone in the last day. */
export const runsToRetry = (d: CampaignDefinition, runs: RunActivity[], nowMs: number) =>
  runs.filter((r) => r.run.startsWith(`${d.id}@`) && !r.run.endsWith(RETRY_SUFFIX) && r.lastClaimAt >= nowMs - DAY_MS).map((r) => r.run);

export async function retryUndelivered(
  deps: RunDeps & { ledger: DeliveryLedger },
  d: CampaignDefinition,
  run: string,
): Promise<{ run: string; retried: number }> {
  const retryRun = `${run}${RETRY_SUFFIX}`;
  if (quietUntil(deps.clock(), deps.policy.quiet) !== undefined) return { run: retryRun, retried: 0 };
  const undelivered: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.ledger.scanPeople(run, cursor, 1000);
    cursor = page.next;
    const contacted = page.people.filter(([, s]) => s.status === 'sent' || isUncertain(s));
    const deliveries = await deps.ledger.deliveriesOf(
      run,
      contacted.map(([id]) => id),
    );
    contacted.forEach(([id, state], i) => owedAnother(d, state, deliveries[i]) && undelivered.push(id));
  } while (cursor !== undefined);
  if (undelivered.length === 0) return { run: retryRun, retried: 0 };
  const people = (await deps.profiles.store.get(undelivered)).filter((p): p is StoredProfile => p !== undefined);
  const states = await sendTo(deps, d, retryRun, people, run);
  const retried = [...states.values()].filter((s) => s.status === 'sent').length;
  deps.logger.info('undelivered messages retried', { run, retried, undelivered: undelivered.length });
  return { run: retryRun, retried };
}
