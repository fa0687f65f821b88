/**
 * Aggregates measurements in the instance and reports them in batches: one datum per
 * metric and dimension set per flush, so a busy function makes a few API calls a minute.
 * FC freezes idle instances, so flushing rides on invocations (and the pre-stop hook),
 * never on a background timer alone.
 */
import { assertValidDatum, type MetricDatum, type MetricsSink } from './port';

interface Series {
  name: string;
  dimensions: Record<string, string>;
  kind: 'sum' | 'avg';
  total: number;
  count: number;
}

export class MetricsRecorder {
  private series = new Map<string, Series>();
  private lastFlush: number;

  constructor(
    private readonly sink: MetricsSink,
    private readonly clock: () => number = Date.now,
    private readonly flushEveryMs = 10_000,
  ) {
    this.lastFlush = clock();
  }

  private add(kind: Series['kind'], name: string, value: number, dimensions: Record<string, string>) {
    const key = `${name}|${JSON.stringify(dimensions)}`;
    let s = this.series.get(key);
    if (!s) {
      assertValidDatum({ name, value, dimensions, time: 0 });
      this.series.set(key, (s = { name, dimensions, kind, total: 0, count: 0 }));
    }
    s.total += value;
    s.count += 1;
  }

  /** Adds `n` to a counter (reported as the sum since the last flush). */
  count(name: string, n = 1, dimensions: Record<string, string> = {}): void {
    this.add('sum', name, n, dimensions);
  }

  /** Records a measurement such as a latency (reported as the mean since the last flush). */
  observe(name: string, value: number, dimensions: Record<string, string> = {}): void {
    this.add('avg', name, value, dimensions);
  }

  /** Flushes when the last flush is older than the interval; call it at the end of invocations. */
  async flushIfDue(): Promise<void> {
    if (this.clock() - this.lastFlush >= this.flushEveryMs) await this.flush();
  }

  async flush(): Promise<void> {
    this.lastFlush = this.clock();
    if (this.series.size === 0) return;
    const time = this.clock();
    const data: MetricDatum[] = [...this.series.values()].map((s) => ({
      name: s.name,
      dimensions: s.dimensions,
      value: s.kind === 'sum' ? s.total : s.total / s.count,
      time,
    }));
    this.series = new Map();
    await this.sink.put(data);
  }
}
