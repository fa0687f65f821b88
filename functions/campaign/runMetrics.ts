/**
 * What operators watch of campaign runs: decisions by outcome, sends, failures by code,
 * suppressions by reason, deferrals, spend; and, without the campaign's id so that one alarm
 * rule covers every campaign, the failed share of sends and how much of its budget a run used.
 */
import type { MetricsRecorder } from '#lib/metrics';
import type { CampaignDefinition } from './definitions/definition';
import type { RunResult } from './runCampaign';

export function recordRun(
  metrics: MetricsRecorder,
  campaign: string,
  result: RunResult,
  priceMilliYuan: number,
  budget: CampaignDefinition['budget'],
  spent: { messages: number; milliYuan: number },
): void {
  const dims = { campaign };
  for (const [status, n] of Object.entries(result.decided)) metrics.count('CampaignDecisions', n, { ...dims, status });
  metrics.count('SmsSent', result.decided.sent, dims);
  for (const [code, n] of Object.entries(result.failed)) metrics.count('SmsFailed', n, { ...dims, code });
  for (const [reason, n] of Object.entries(result.suppressed)) metrics.count('CampaignSuppressed', n, { ...dims, reason });
  metrics.count('CampaignDeferrals', result.status === 'deferred' ? 1 : 0, dims);
  metrics.count('CampaignSpendYuan', (result.segments * priceMilliYuan) / 1000, dims);
  const attempted = result.decided.sent + result.decided.failed;
  if (attempted > 0) metrics.observe('SmsFailureRate', result.decided.failed / attempted, { function: 'campaign' });
  const shares = [budget.messages && spent.messages / budget.messages, budget.yuan && spent.milliYuan / (budget.yuan * 1000)].filter(
    (x): x is number => x !== undefined,
  );
  if (shares.length > 0) metrics.gauge('CampaignBudgetUsed', Math.max(...shares), { function: 'campaign' });
}
