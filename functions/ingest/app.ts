import { createWebApp } from '../../lib/fc/webApp';
import type { FeatureStore } from '../../lib/featureStore';
import type { MetricsRecorder } from '../../lib/metrics';
import type { ObjectStore } from '../../lib/objectStore';

export interface IngestDeps {
  objects: ObjectStore;
  features: FeatureStore;
  metrics: MetricsRecorder;
}

export function createIngestApp(deps: IngestDeps) {
  const app = createWebApp({ name: 'ingest', initialize: () => deps.features.ping() });
  app.use(async (ctx) => {
    if (ctx.method === 'GET' && ctx.path === '/health') {
      ctx.body = { ok: true, objects: deps.objects.describe, features: deps.features.describe };
    }
  });
  return app;
}
