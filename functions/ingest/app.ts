import { AppError } from '../../lib/errors';
import { readBody } from '../../lib/fc/customRuntime';
import { createWebApp } from '../../lib/fc/webApp';
import { EVENTS_PATH, ingestBatch, type IngestDeps } from './ingestBatch';

export const MAX_BODY_BYTES = 1024 * 1024;

export function createIngestApp(deps: IngestDeps) {
  const health = () => ({ log: deps.log.describe, features: deps.features.describe });
  const app = createWebApp({ name: 'ingest', initialize: () => deps.features.ping(), preStop: () => deps.metrics.flush(), health });
  app.use(async (ctx) => {
    if (ctx.path === EVENTS_PATH) {
      if (ctx.method !== 'POST') throw new AppError(405, 'method_not_allowed', `use POST ${EVENTS_PATH}`);
      if (!ctx.is('application/json')) throw new AppError(415, 'unsupported_media_type', 'Content-Type must be application/json');
      const body = await readBody(ctx.req, MAX_BODY_BYTES);
      const forwarded = ctx.get('x-forwarded-for');
      const clientIp = forwarded ? forwarded.split(',')[0].trim() : (ctx.req.socket.remoteAddress ?? '');
      ctx.body = await ingestBatch(deps, { headers: ctx.req.headers, body, clientIp });
      void deps.metrics.flushIfDue().catch((err) => deps.logger.warn('metrics flush failed', { err }));
    }
  });
  return app;
}
