/** What operators watch of campaign runs: decisions by outcome, sends, failures by code, suppressions by reason, deferrals, spend. */
import type { MetricsRecorder } from '#lib/metrics';
import type { RunResult } from './runCampaign';

export function recordRun(metrics: MetricsRecorder, campaign: string, result: RunResult, priceMilliYuan: number): void {
  const dims = { campaign };
  for (const [status, n] of Object.entries(result.decided)) metrics.count('CampaignDecisions', n, { ...dims, status });
  metrics.count('SmsSent', result.decided.sent, dims);
  for (const [code, n] of Object.entries(result.failed)) metrics.count('SmsFailed', n, { ...dims, code });
  for (const [reason, n] of Object.entries(result.suppressed)) metrics.count('CampaignSuppressed', n, { ...dims, reason });
  metrics.count('CampaignDeferrals', result.status === 'deferred' ? 1 : 0, dims);
  metrics.count('CampaignSpendYuan', (result.segments * priceMilliYuan) / 1000, dims);
}
