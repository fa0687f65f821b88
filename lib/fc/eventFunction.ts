/**
 * Wraps a use-case as an FC event handler `(event: Buffer, context) => result`: decodes the
 * trigger payload once, logs and measures the invocation, and maps errors at the edge.
 * A bad event (4xx) is dropped with a logged reason, since retrying cannot fix it; any
 * other error is rethrown so FC's async retry policy runs again.
 */
import { fcCredentials } from '#lib/cloud/credentials';
import { config } from '#lib/config';
import { AppError } from '#lib/errors';
import { log, type Logger } from '#lib/log';
import { metricsRecorderFor } from '#lib/metrics';
import { recordInvocation } from '#lib/metrics/invocations';
import { decodeInvocation, type Invocation } from './decode';
import type { EventHandler, FcContext } from './types';

export type UseCase = (invocation: Invocation, context: FcContext, logger: Logger) => Promise<unknown>;

export function eventHandler(functionName: string, useCase: UseCase): EventHandler {
  const logger = log.child({ fn: functionName });
  return async (event, context) => {
    const started = performance.now();
    const requestLog = logger.child({ requestId: context?.requestId });
    fcCredentials(config()).update(context?.credentials);
    const metrics = metricsRecorderFor(config(), functionName);
    let outcome = 'ok';
    const ms = () => Math.round(performance.now() - started);
    try {
      const invocation = decodeInvocation(event);
      const result = await useCase(invocation, context, requestLog);
      requestLog.info('invocation done', { trigger: invocation.kind, ms: ms() });
      return result;
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        outcome = 'dropped';
        requestLog.warn('event dropped', { code: err.code, reason: err.message, ms: ms() });
        return { dropped: err.code, reason: err.message };
      }
      outcome = 'error';
      requestLog.error('invocation failed', { err, ms: ms() });
      throw err;
    } finally {
      recordInvocation(metrics, functionName, outcome, performance.now() - started);
      await metrics.flush().catch((err) => requestLog.warn('metrics flush failed', { err }));
    }
  };
}
