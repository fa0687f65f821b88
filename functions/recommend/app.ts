import { now } from '../../lib/clock';
import { badRequest } from '../../lib/errors';
import { createWebApp } from '../../lib/fc/webApp';
import type { FeatureStore } from '../../lib/featureStore';
import type { MetricsRecorder } from '../../lib/metrics';

export interface RecommendDeps {
  features: FeatureStore;
  metrics: MetricsRecorder;
}

export function createRecommendApp(deps: RecommendDeps) {
  const app = createWebApp({ name: 'recommend', initialize: () => deps.features.ping() });
  app.use(async (ctx) => {
    if (ctx.method !== 'GET' || ctx.path !== '/v1/recommend') return;
    const started = performance.now();
    const n = ctx.query.n === undefined ? 10 : Number(ctx.query.n);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw badRequest('bad_n', 'n must be an integer from 1 to 100');
    // Until a model is registered, every answer is the trending fallback.
    const trending = await deps.features.trending(n, now());
    ctx.body = {
      items: trending.map((t) => ({ item_id: t.itemId, score: t.score, reason: 'trending now' })),
      model_version: null,
      fallback: 'no_model',
      took_ms: Math.round((performance.now() - started) * 100) / 100,
    };
    deps.metrics.count('Recommendations', 1, { fallback: 'no_model' });
    await deps.metrics.flushIfDue();
  });
  return app;
}
