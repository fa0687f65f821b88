/** The metrics port: custom metrics for operators (CloudMonitor in production). */
import { badRequest } from '#lib/errors';

export interface MetricDatum {
  /** `[A-Za-z][A-Za-z0-9_]*` (CloudMonitor's rule) */
  name: string;
  value: number;
  dimensions: Record<string, string>;
  /** epoch ms */
  time: number;
  /** `counter`: a sum over the interval since the last report; `gauge` (default): a value at `time`. */
  kind?: 'counter' | 'gauge';
}

export interface MetricsSink {
  readonly describe: string;
  put(data: MetricDatum[]): Promise<void>;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const BAD_DIMENSION = /[=&,]/;

/** Throws on names and dimensions CloudMonitor would refuse, so mistakes show up locally too. */
export function assertValidDatum(d: MetricDatum): void {
  if (!NAME.test(d.name)) throw badRequest('invalid_metric', `metric name "${d.name}" must match ${NAME}`);
  for (const [k, v] of Object.entries(d.dimensions)) {
    if (BAD_DIMENSION.test(k) || BAD_DIMENSION.test(v) || Buffer.byteLength(v) > 64) {
      throw badRequest('invalid_metric', `metric ${d.name} dimension ${k}=${v} must be ≤64 bytes without = & ,`);
    }
  }
  if (!Number.isFinite(d.value)) throw badRequest('invalid_metric', `metric ${d.name} value must be finite`);
}
