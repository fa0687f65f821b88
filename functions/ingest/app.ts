import { AppError } from '#lib/errors';
import { readBody } from '#lib/fc/customRuntime';
import { createWebApp } from '#lib/fc/webApp';
import { EVENTS_PATH, ingestBatch, type IngestDeps, type IngestRequest } from './ingestBatch';
import { PROFILES_PATH, upsertProfiles } from './profiles';
import { issueToken, REVOKE_PATH, revokeTokens, TOKENS_PATH } from './tokens';

export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_TOKEN_BODY_BYTES = 4096;

const routes: Record<string, { use: (deps: IngestDeps, req: IngestRequest) => Promise<unknown>; maxBytes: number }> = {
  [EVENTS_PATH]: { use: ingestBatch, maxBytes: MAX_BODY_BYTES },
  [TOKENS_PATH]: { use: issueToken, maxBytes: MAX_TOKEN_BODY_BYTES },
  [REVOKE_PATH]: { use: revokeTokens, maxBytes: MAX_TOKEN_BODY_BYTES },
  [PROFILES_PATH]: { use: upsertProfiles, maxBytes: MAX_BODY_BYTES },
};

export function createIngestApp(deps: IngestDeps) {
  const health = () => ({ log: deps.log.describe, features: deps.features.describe });
  const initialize = async () => {
    await deps.features.ping();
    await deps.auth.refreshRevocations();
  };
  const app = createWebApp({ name: 'ingest', initialize, preStop: () => deps.metrics.flush(), health });
  app.use(async (ctx) => {
    const route = Object.hasOwn(routes, ctx.path) ? routes[ctx.path] : undefined;
    if (!route) return;
    if (ctx.method !== 'POST') throw new AppError(405, 'method_not_allowed', `use POST ${ctx.path}`);
    if (!ctx.is('application/json')) throw new AppError(415, 'unsupported_media_type', 'Content-Type must be application/json');
    const body = await readBody(ctx.req, route.maxBytes);
    const forwarded = ctx.get('x-forwarded-for');
    const clientIp = forwarded ? forwarded.split(',')[0].trim() : (ctx.req.socket.remoteAddress ?? '');
    ctx.body = await route.use(deps, { headers: ctx.req.headers, query: new URLSearchParams(ctx.querystring), body, clientIp });
    void deps.metrics.flushIfDue().catch((err) => deps.logger.warn('metrics flush failed', { err }));
  });
  return app;
}
