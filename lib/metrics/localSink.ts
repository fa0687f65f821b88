/**
 * The embedded metrics sink: keeps the latest value of each series, each counter's running
 * total and the last hour of datums, for the local runtime's `/-/metrics` and dashboard, and,
 * when a file is given, appends every datum as a JSON line.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { assertValidDatum, type MetricDatum, type MetricsSink } from './port';

const HOUR_MS = 3_600_000;
const MAX_HISTORY = 200_000;

export const seriesKey = (d: Pick<MetricDatum, 'name' | 'dimensions'>) => `${d.name}${JSON.stringify(d.dimensions)}`;

export class LocalMetricsSink implements MetricsSink {
  readonly describe: string;
  readonly latest = new Map<string, MetricDatum>();
  /** Counters summed since the process started (Prometheus counters). */
  readonly totals = new Map<string, MetricDatum>();
  private history: MetricDatum[] = [];

  constructor(private readonly file?: string) {
    this.describe = file ? `local:${file}` : 'local';
  }

  async put(data: MetricDatum[]): Promise<void> {
    data.forEach(assertValidDatum);
    for (const d of data) {
      this.latest.set(seriesKey(d), d);
      if (d.kind === 'counter') {
        const total = this.totals.get(seriesKey(d));
        this.totals.set(seriesKey(d), { ...d, value: (total?.value ?? 0) + d.value });
      }
    }
    this.history.push(...data);
    // On the datums' own clock, which MKT_NOW may have pinned anywhere.
    const since = Math.max(...data.map((d) => d.time), 0) - HOUR_MS;
    if (this.history.length > MAX_HISTORY || (this.history[0] && this.history[0].time < since)) {
      this.history = this.history.filter((d) => d.time >= since).slice(-MAX_HISTORY);
    }
    if (this.file && data.length > 0) {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await fs.appendFile(this.file, `${data.map((d) => JSON.stringify(d)).join('\n')}\n`);
    }
  }

  /** The datums reported since `sinceMs`, oldest first. */
  since(sinceMs: number): MetricDatum[] {
    return this.history.filter((d) => d.time >= sinceMs);
  }
}
