/**
 * Replies pushed by a provider. One that means stop (lib/sms/optOut.ts) withdraws the person's
 * SMS consent, for every campaign at once: the person is found by the number's keyed hash, and
 * the statement keeps its proof (when it was said, what was said, what the provider tells of the
 * message it answered). A later statement wins, so a re-pushed reply changes nothing, and neither
 * does an old reply once the person has consented again. Other replies are counted, not kept.
 */
import type { Logger } from '#lib/log';
import type { MetricsRecorder } from '#lib/metrics';
import type { ProfileBook } from '#lib/profiles';
import type { SmsReply } from '#lib/sms/feedback';
import { isOptOut, normalisedReply } from '#lib/sms/optOut';
import { recordOptOuts } from './afterDelivery';

export interface ReplyDeps {
  profiles: ProfileBook;
  logger: Logger;
  metrics?: MetricsRecorder;
}

export interface ReplyOutcome {
  optOuts: number;
  /** Opt-outs older than the consent the profile holds. */
  superseded: number;
  /** Opt-outs from a number no profile has. */
  unknownNumbers: number;
  other: number;
}

export async function takeReplies(deps: ReplyDeps, replies: SmsReply[], nowMs: number): Promise<ReplyOutcome> {
  const outcome: ReplyOutcome = { optOuts: 0, superseded: 0, unknownNumbers: 0, other: 0 };
  // In order: two replies from one person in a push are two statements, the later one last.
  for (const r of replies) {
    if (!isOptOut(r.text)) {
      outcome.other++;
      continue;
    }
    const evidence = {
      provider: r.provider,
      text: r.text,
      receivedAt: nowMs,
      signName: r.signName,
      extension: r.extension,
      replyId: r.replyId,
    };
    const { userId, applied } = await deps.profiles.withdrawSmsConsent(r.phone, {
      at: r.at,
      source: `reply:${normalisedReply(r.text)}`,
      evidence,
    });
    if (userId === undefined) {
      outcome.unknownNumbers++;
      deps.logger.info('sms opt-out from a number no profile has', { provider: r.provider, phone: r.phone });
    } else {
      outcome[applied ? 'optOuts' : 'superseded']++;
      deps.logger.info(applied ? 'sms consent withdrawn by reply' : 'sms opt-out older than the consent held', {
        provider: r.provider,
        userId,
        at: new Date(r.at).toISOString(),
      });
    }
  }
  recordOptOuts(deps.metrics, outcome.optOuts);
  return outcome;
}
