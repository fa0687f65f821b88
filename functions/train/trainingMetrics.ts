/**
 * What operators watch of training: runs by model and outcome, each new version's offline
 * metrics, promotions, and how old each champion is (an alarm fires when none was trained
 * successfully for 36 hours).
 */
import type { MetricsRecorder } from '#lib/metrics';
import type { ModelRegistry } from '#models/registry';
import type { Outcome } from './runTraining';

const HOUR_MS = 3_600_000;

export async function recordTraining(metrics: MetricsRecorder, registry: ModelRegistry, outcomes: Outcome[], nowMs: number): Promise<void> {
  for (const o of outcomes) {
    if ('skipped' in o) {
      metrics.count('TrainingRuns', 1, { model: o.model, outcome: 'skipped' });
      continue;
    }
    metrics.count('TrainingRuns', 1, { model: o.model, outcome: o.promoted ? 'promoted' : 'kept' });
    metrics.count('Promotions', o.promoted ? 1 : 0, { model: o.model });
    for (const [metric, value] of Object.entries(o.metrics))
      if (Number.isFinite(value)) metrics.gauge('ModelMetric', value, { model: o.model, metric });
  }
  for (const model of new Set(outcomes.map((o) => o.model))) {
    const champion = await registry.current(model);
    const meta = champion && (await registry.meta(model, champion.version));
    if (meta) metrics.gauge('ChampionAgeHours', (nowMs - Date.parse(meta.createdAt)) / HOUR_MS, { model });
  }
}
