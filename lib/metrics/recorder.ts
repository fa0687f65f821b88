/**
 * Aggregates measurements in the instance and reports them in batches: one datum per
 * metric and dimension set per flush, so a busy function makes a few API calls a minute.
 * FC freezes idle instances, so flushing rides on invocations (and the pre-stop hook),
 * never on a background timer alone.
 */
import { assertValidDatum, type MetricDatum, type MetricsSink } from './port';

type Kind = 'sum' | 'avg' | 'last' | 'dist' | 'rate';

interface Series {
  name: string;
  dimensions: Record<string, string>;
  kind: Kind;
  total: number;
  count: number;
  last: number;
  /** `dist`: a uniform sample of the interval's values (reservoir), for its percentiles. */
  sample: number[];
}

const SAMPLE = 2048;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

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

  private add(kind: Kind, name: string, value: number, dimensions: Record<string, string>) {
    const key = `${name}|${JSON.stringify(dimensions)}`;
    let s = this.series.get(key);
    if (!s) {
      assertValidDatum({ name, value, dimensions, time: 0 });
      this.series.set(key, (s = { name, dimensions, kind, total: 0, count: 0, last: 0, sample: [] }));
    }
    s.total += value;
    s.count += 1;
    s.last = value;
    if (kind !== 'dist') return;
    if (s.sample.length < SAMPLE) s.sample.push(value);
    else {
      const slot = Math.floor(Math.random() * s.count);
      if (slot < SAMPLE) s.sample[slot] = value;
    }
  }

  /** Adds `n` to a counter (reported as the sum since the last flush). */
  count(name: string, n = 1, dimensions: Record<string, string> = {}): void {
    this.add('sum', name, n, dimensions);
  }

  /** Adds `n` to a counter reported per second of the interval since the last flush (`<name>` is a rate). */
  countRate(name: string, n: number, dimensions: Record<string, string> = {}): void {
    this.add('rate', name, n, dimensions);
  }

  /** Records a value reported as the mean since the last flush (a share when the values are 0 and 1). */
  observe(name: string, value: number, dimensions: Record<string, string> = {}): void {
    this.add('avg', name, value, dimensions);
  }

  /** Records a value such as a latency, reported as `<name>P50` and `<name>P99` of the interval. */
  distribution(name: string, value: number, dimensions: Record<string, string> = {}): void {
    this.add('dist', name, value, dimensions);
  }

  /** Sets a value reported as it last was (a model version, an age, a spend). */
  gauge(name: string, value: number, dimensions: Record<string, string> = {}): void {
    this.add('last', name, value, dimensions);
  }

  /** Flushes when the last flush is older than the interval; call it at the end of invocations. */
  async flushIfDue(): Promise<void> {
    if (this.clock() - this.lastFlush >= this.flushEveryMs) await this.flush();
  }

  async flush(): Promise<void> {
    const time = this.clock();
    const seconds = Math.max(1, (time - this.lastFlush) / 1000);
    this.lastFlush = time;
    if (this.series.size === 0) return;
    const data = [...this.series.values()].flatMap((s) => this.datums(s, time, seconds));
    this.series = new Map();
    await this.sink.put(data);
  }

  private datums(s: Series, time: number, seconds: number): MetricDatum[] {
    const datum = (name: string, value: number, kind: MetricDatum['kind'] = 'gauge') => ({
      name,
      dimensions: s.dimensions,
      value,
      time,
      kind,
    });
    if (s.kind === 'sum') return [datum(s.name, s.total, 'counter')];
    if (s.kind === 'rate') return [datum(s.name, s.total / seconds)];
    if (s.kind === 'avg') return [datum(s.name, s.total / s.count)];
    if (s.kind === 'last') return [datum(s.name, s.last)];
    const sorted = s.sample.sort((a, b) => a - b);
    return [datum(`${s.name}P50`, percentile(sorted, 0.5)), datum(`${s.name}P99`, percentile(sorted, 0.99))];
  }
}
