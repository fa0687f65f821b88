/**
 * Delivery reports pushed by a provider: each is recorded on its person's entry in the run's
 * ledger (delivered, or failed with the carrier's code; its time, segments and message id), which
 * settles a send that was uncertain. Providers push again when unsure we got it: the same message
 * with the same verdict is a duplicate and changes nothing. A report for no send of ours (another
 * system's message, a number no profile has) is counted, not an error.
 */
import type { ContactLedger, Delivery } from '#lib/contacts';
import type { Logger } from '#lib/log';
import type { MetricsRecorder } from '#lib/metrics';
import type { ProfileBook } from '#lib/profiles';
import type { DeliveryReport } from '#lib/sms/feedback';
import { noteDeliveries } from './afterDelivery';
import { deliveryOfReport, runsOfSends } from './sends';

export interface ReportDeps {
  ledger: ContactLedger;
  profiles: ProfileBook;
  logger: Logger;
  metrics?: MetricsRecorder;
  priceMilliYuan?: number;
}

export interface ReportOutcome {
  recorded: number;
  duplicates: number;
  unmatched: number;
}

export async function recordReports(deps: ReportDeps, reports: DeliveryReport[], nowMs: number): Promise<ReportOutcome> {
  const users = await Promise.all(reports.map((r) => deps.profiles.userOfPhone(r.phone)));
  const known = reports.flatMap((report, i) => (users[i] === undefined ? [] : [{ report, userId: users[i]! }]));
  const runs = await runsOfSends(
    deps.ledger,
    known.map(({ report, userId }) => ({ ...report, userId })),
    nowMs,
  );
  const byRun = new Map<string, [string, Delivery][]>();
  known.forEach(({ report, userId }, i) => {
    const run = runs[i];
    if (run !== undefined) (byRun.get(run) ?? byRun.set(run, []).get(run)!).push([userId, deliveryOfReport(report)]);
    else deps.logger.debug('sms report matches no send', { provider: report.provider, userId, messageId: report.messageId });
  });
  const outcome = { recorded: 0, duplicates: 0, unmatched: reports.length - runs.filter((r) => r !== undefined).length };
  for (const [run, deliveries] of byRun) {
    const kept = await deps.ledger.recordDeliveries(run, deliveries);
    kept.forEach((k) => outcome[k ? 'recorded' : 'duplicates']++);
    await noteDeliveries(
      deps,
      run,
      deliveries.filter((_, i) => kept[i]),
    );
  }
  return outcome;
}
