/**
 * What every function reports of each invocation or request: Invocations (by outcome), Errors
 * and ErrorRate (the failed share, which an alarm can compare with 1% where it cannot divide two
 * counts), DurationMs (P50 and P99), ColdStarts (the first in an instance), and for web
 * functions the requests turned away, Throttled (429) and Unavailable (503).
 */
import type { MetricsRecorder } from './recorder';

const warm = new Set<string>();

export function recordInvocation(metrics: MetricsRecorder, fn: string, outcome: string, ms: number, status?: number): void {
  const dims = { function: fn };
  if (!warm.has(fn)) {
    warm.add(fn);
    metrics.count('ColdStarts', 1, dims);
  }
  metrics.count('Invocations', 1, { ...dims, outcome });
  metrics.count('Errors', outcome === 'error' ? 1 : 0, dims);
  metrics.observe('ErrorRate', outcome === 'error' ? 1 : 0, dims);
  metrics.distribution('DurationMs', ms, dims);
  if (status === 429) metrics.count('Throttled', 1, dims);
  if (status === 503) metrics.count('Unavailable', 1, dims);
}
