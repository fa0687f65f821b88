/** Asynchronous invocation as FC does it for timers and OSS: retried on function errors per `asyncInvokeConfig`. */
import { log } from '#lib/log';
import type { InvokeResult, LocalFunction } from './localFunction';

const logger = log.child({ component: 'local-runtime' });

export type AsyncInvoke = (fn: LocalFunction, event: object | Buffer, trigger: string) => Promise<InvokeResult>;

/** `stopped` ends the retries when the platform shuts down. */
export function asyncInvoker(stopped: () => boolean): AsyncInvoke {
  return async (fn, event, trigger) => {
    const retries = fn.spec.props.asyncInvokeConfig?.maxAsyncRetryAttempts ?? 3;
    const payload = Buffer.isBuffer(event) ? event : Buffer.from(JSON.stringify(event));
    let result = await fn.invoke(payload, trigger);
    for (let attempt = 1; !result.ok && attempt <= retries && !stopped(); attempt++) {
      await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
      result = await fn.invoke(payload, trigger);
    }
    if (!result.ok)
      logger.warn('async invocation failed after retries', { fn: fn.name, trigger, error: result.body.toString().slice(0, 300) });
    return result;
  };
}
