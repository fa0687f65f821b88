/**
 * What became of a send, once the provider's feedback is in (issue 17): a person's state in a
 * run (port.ts `PersonState`, what the run decided and the provider answered) and the carrier's
 * delivery, if one was reported or found by query, settle into one verdict.
 *
 * A send whose outcome is unknown (claimed without an outcome, or a request that got no answer)
 * is `uncertain` and is never resent; one proven `undelivered` (a carrier failure, or a provider
 * that has no such message) may be retried once, if the campaign allows it.
 */
import type { Delivery, PersonState } from './port';

export type Settlement =
  /** Control or suppressed: never meant to be contacted. */
  | 'not_contacted'
  /** The provider refused it (permanent, flow control, retries spent): it never went out. */
  | 'refused'
  /** It may have gone out; nothing says whether. Never resent. */
  | 'uncertain'
  /** The provider took it; no carrier verdict yet. Never resent. */
  | 'accepted'
  | 'delivered'
  /** Proven not delivered: may be retried once. */
  | 'undelivered';

export const isUncertain = (state: PersonState | undefined): boolean =>
  state?.status === 'claimed' || (state?.status === 'failed' && state.failure === 'uncertain');

export function settlementOf(state: PersonState | undefined, delivery?: Delivery): Settlement {
  if (delivery) return delivery.outcome;
  if (!state || state.status === 'control' || state.status === 'suppressed') return 'not_contacted';
  if (isUncertain(state)) return 'uncertain';
  return state.status === 'sent' ? 'accepted' : 'refused';
}

/** Our id of a send, echoed by the providers (Alibaba `OutId`, Tencent `SessionContext`): the run, then the person. */
export const outIdOf = (run: string, userId: string): string => `${run}|${userId}`;

/** The run an out id names (a run key never holds `|`); undefined for an id that is not ours. */
export function runOfOutId(outId: string): string | undefined {
  const at = outId.indexOf('|');
  return at > 0 ? outId.slice(0, at) : undefined;
}

/**
 * Whether a new statement about a person's delivery in a run replaces the one kept: the same
 * message with the same verdict is a provider's re-push (kept as it was); evidence of a message
 * beats having found none; otherwise the later statement wins (a resend, a corrected status).
 */
export function replacesDelivery(kept: Delivery | undefined, next: Delivery): boolean {
  if (!kept) return true;
  if (kept.messageId === next.messageId && kept.outcome === next.outcome && kept.code === next.code) return false;
  if (kept.via === 'no_record' && next.via !== 'no_record') return true;
  return next.at >= kept.at;
}
