/**
 * The koa side of the FC contract for web functions: one factory builds the app that FC
 * (through the CAPort), the local runtime and jest all run. It maps typed errors to
 * statuses once, answers FC's lifecycle control paths and event invocations (`POST /invoke`,
 * e.g. `s invoke` or a warm-up ping, answered with the function's health), and logs each request.
 */
import Koa from 'koa';
import { randomUUID } from 'node:crypto';
import { fcCredentials } from '#lib/cloud/credentials';
import { config } from '#lib/config';
import { AppError } from '#lib/errors';
import { log } from '#lib/log';
import { metricsRecorderFor } from '#lib/metrics';
import { recordInvocation } from '#lib/metrics/invocations';
import { contextFromHeaders } from './customRuntime';
import type { FcContext, Initializer } from './types';

export interface WebState {
  fc: FcContext;
  requestId: string;
}

export interface WebAppOptions {
  name: string;
  /** Runs on FC's `POST /initialize` (the initializer hook) before any traffic. */
  initialize?: Initializer;
  /** Runs on FC's `GET /pre-stop` (the pre-stop hook) before the instance is stopped. */
  preStop?: () => Promise<void>;
  /** What `GET /health` and an event invocation answer. */
  health: () => Record<string, unknown>;
}

const CLIENT_CLOSED = 499;
const CLIENT_GONE_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);
/** The client went away, or broke the HTTP stream (`HPE_*`: Node's parser): nothing of ours failed. */
const clientWentAway = (err: unknown) => {
  const code = String((err as { code?: unknown })?.code);
  return CLIENT_GONE_CODES.has(code) || code.startsWith('HPE_');
};

export function createWebApp({ name, initialize, preStop, health }: WebAppOptions): Koa<WebState> {
  const app = new Koa<WebState>({ proxy: false });
  const logger = log.child({ fn: name });
  const metrics = metricsRecorderFor(config(), name);
  // Koa's own handler prints multi-line stack traces to stderr; errors it sees (most often a client
  // that went away while we answered) are logged here as one JSON line at their level.
  app.silent = true;
  app.on('error', (err: Error & { code?: string }) =>
    clientWentAway(err) ? logger.debug('client closed the connection', { code: err.code }) : logger.warn('response failed', { err }),
  );

  app.use(async (ctx, next) => {
    const started = performance.now();
    const fc = contextFromHeaders(ctx.req.headers);
    const requestId = fc.requestId || randomUUID();
    ctx.state.fc = fc;
    fcCredentials(config()).update(fc.credentials);
    ctx.state.requestId = requestId;
    ctx.set('x-request-id', requestId);
    try {
      await next();
    } catch (err) {
      if (clientWentAway(err)) {
        // Nobody is left to answer (nginx's 499); the client retries if it must.
        ctx.status = CLIENT_CLOSED;
        logger.info('client closed the request', { requestId, path: ctx.path, ms: Math.round(performance.now() - started) });
        return;
      }
      const e = err instanceof AppError ? err : undefined;
      ctx.status = e?.status ?? 500;
      if (e?.options.retryAfterS) ctx.set('Retry-After', String(e.options.retryAfterS));
      ctx.body = e?.expose ? { code: e.code, message: e.message } : { code: 'internal', message: 'internal error', request_id: requestId };
      if (ctx.status >= 500) logger.error('request failed', { requestId, path: ctx.path, err, cause: e?.cause });
    }
    const ms = performance.now() - started;
    if (!ctx.get('x-fc-control-path') || ctx.get('x-fc-control-path') === '/http-invoke') {
      recordInvocation(metrics, name, ctx.status >= 500 ? 'error' : ctx.status >= 400 ? 'refused' : 'ok', ms, ctx.status);
    }
    if (ctx.status >= 500 || ms > 1000) {
      logger.warn('slow or failed request', { requestId, path: ctx.path, status: ctx.status, ms: Math.round(ms) });
    }
  });

  app.use(async (ctx, next) => {
    const controlPath = ctx.get('x-fc-control-path');
    if (controlPath === '/initialize') {
      await initialize?.(ctx.state.fc);
      ctx.body = { ok: true };
    } else if (controlPath === '/pre-stop') {
      await preStop?.();
      ctx.body = { ok: true };
    } else if (controlPath === '/invoke' || (ctx.method === 'GET' && ctx.path === '/health')) {
      ctx.body = { ok: true, ...health() };
    } else {
      await next();
    }
  });

  return app;
}
