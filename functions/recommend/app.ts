import { speaksFor, type Authenticator } from '#lib/auth';
import { AppError } from '#lib/errors';
import { readBody } from '#lib/fc/customRuntime';
import { Stages } from '#lib/fc/serverTiming';
import { jsonBody } from '#lib/fc/jsonBody';
import { createWebApp } from '#lib/fc/webApp';
import { recommend, type RecommendDeps } from './recommend';
import { fromBody, fromQuery } from './request';

export const RECOMMEND_PATH = '/v1/recommend';
const MAX_BODY_BYTES = 64 * 1024;

export interface RecommendAppDeps extends RecommendDeps {
  auth: Authenticator;
}

/**
 * A mini-program reads with its token, and only for the token's user or install; the backend
 * signs (method, path, query, body) and may read for anyone. Nonces are not stored: a replayed
 * signed read returns what it returned, and a Redis outage must not stop recommendations.
 */
export function createRecommendApp(deps: RecommendAppDeps) {
  // An instance that cannot reach the registry still serves (trending) and retries on later requests.
  const initialize = async () => {
    await deps.auth.refreshRevocations();
    await deps.state.load().catch((err) => deps.logger.error('model not loaded at start; serving fallbacks until it is', { err }));
  };
  const preStop = () => {
    deps.state.close();
    return deps.metrics.flush();
  };
  const health = () => ({
    model_version: deps.state.model?.version ?? null,
    catalogue_items: deps.state.catalog.size,
    features: deps.features.describe,
  });
  const app = createWebApp({ name: 'recommend', initialize, preStop, health });
  app.use(async (ctx) => {
    if (ctx.path === RECOMMEND_PATH) {
      if (ctx.method !== 'GET' && ctx.method !== 'POST') throw new AppError(405, 'method_not_allowed', `use GET or POST ${RECOMMEND_PATH}`);
      const stages = new Stages();
      const body = ctx.method === 'POST' ? await readBody(ctx.req, MAX_BODY_BYTES) : Buffer.alloc(0);
      const query = new URLSearchParams(ctx.querystring);
      const caller = deps.auth.authenticate({ method: ctx.method, path: RECOMMEND_PATH, query, headers: ctx.req.headers, body });
      const request = ctx.method === 'GET' ? fromQuery(query) : fromBody(parseJson(body, ctx.is('application/json')));
      if (!speaksFor(caller, request.user))
        throw new AppError(403, 'forbidden_user', 'a token reads recommendations only for its own user or install');
      stages.mark('parse');
      ctx.body = await recommend(deps, request, stages);
      ctx.set('Server-Timing', stages.header());
      void deps.metrics.flushIfDue().catch((err) => deps.logger.warn('metrics flush failed', { err }));
    }
  });
  return app;
}

function parseJson(body: Buffer, isJson: string | false | null): unknown {
  if (!isJson) throw new AppError(415, 'unsupported_media_type', 'Content-Type must be application/json');
  return jsonBody(body);
}
