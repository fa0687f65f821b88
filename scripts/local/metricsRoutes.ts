/**
 * The local runtime's view of the metrics every function reports (the local sink, in this
 * process): `GET /-/metrics` in Prometheus's text format (counters as running totals, the rest
 * as gauges) and `GET /-/metrics.json`, the last hour of datums, which the dashboard charts.
 */
import { config } from '#lib/config';
import { metricsRecorderFor, metricsSinkFrom, type MetricDatum } from '#lib/metrics';
import type { LocalMetricsSink } from '#lib/metrics/localSink';
import type { LocalFunction } from './localFunction';

const HOUR_MS = 3_600_000;

/** The local sink, after every function's recorder has reported what it holds (web functions flush only as requests come). */
export async function localMetrics(functions: Iterable<LocalFunction>): Promise<LocalMetricsSink | undefined> {
  const c = config();
  const sink = metricsSinkFrom(c);
  // The functions' bundles made the sink; each bundle has its own copy of the class, so no instanceof.
  if (!('since' in sink)) return undefined;
  for (const fn of functions) await metricsRecorderFor(c, fn.name).flush();
  return sink as LocalMetricsSink;
}

const snake = (name: string) => `mkt_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
const labelEscape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (d: Record<string, string>) => {
  const pairs = Object.entries(d).map(([k, v]) => `${k.replace(/[^a-zA-Z0-9_]/g, '_')}="${labelEscape(v)}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
};

export function prometheusText(sink: LocalMetricsSink): string {
  const families = new Map<string, { type: 'counter' | 'gauge'; lines: string[] }>();
  const add = (d: MetricDatum, type: 'counter' | 'gauge') => {
    const name = type === 'counter' ? `${snake(d.name)}_total` : snake(d.name);
    const family = families.get(name) ?? { type, lines: [] };
    family.lines.push(`${name}${labels(d.dimensions)} ${d.value}`);
    families.set(name, family);
  };
  for (const d of sink.totals.values()) add(d, 'counter');
  for (const d of sink.latest.values()) if (d.kind !== 'counter') add(d, 'gauge');
  return [...families].map(([name, f]) => `# TYPE ${name} ${f.type}\n${f.lines.join('\n')}\n`).join('');
}

export const lastHour = (sink: LocalMetricsSink) => {
  const newest = Math.max(0, ...[...sink.latest.values()].map((d) => d.time));
  return sink.since(newest - HOUR_MS);
};
