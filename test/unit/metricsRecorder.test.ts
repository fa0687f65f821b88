/** The recorder's kinds of series, and what every function reports of an invocation. */
import { recordInvocation } from '#lib/metrics/invocations';
import { LocalMetricsSink } from '#lib/metrics/localSink';
import { MetricsRecorder } from '#lib/metrics/recorder';

let clock: number;
let sink: LocalMetricsSink;
let metrics: MetricsRecorder;
const value = (key: string) => sink.latest.get(key)?.value;

beforeEach(() => {
  clock = 1_000_000;
  sink = new LocalMetricsSink();
  metrics = new MetricsRecorder(sink, () => clock);
});

describe('the metrics recorder', () => {
  it('reports sums as counters, means, last values, per-second rates and the P50 and P99 of distributions', async () => {
    metrics.count('Sent', 2);
    metrics.count('Sent', 3);
    metrics.observe('HitRate', 1);
    metrics.observe('HitRate', 0);
    metrics.gauge('Age', 5);
    metrics.gauge('Age', 7);
    metrics.countRate('PerSecond', 100);
    for (let i = 1; i <= 100; i++) metrics.distribution('Ms', i);
    clock += 20_000;
    await metrics.flush();
    expect(sink.latest.get('Sent{}')).toMatchObject({ value: 5, kind: 'counter' });
    expect(value('HitRate{}')).toBe(0.5);
    expect(value('Age{}')).toBe(7);
    expect(value('PerSecond{}')).toBe(5);
    expect(value('MsP50{}')).toBe(51);
    expect(value('MsP99{}')).toBe(100);
  });

  it('keeps running totals of counters across flushes, and the last hour of datums', async () => {
    metrics.count('Sent', 2);
    await metrics.flush();
    metrics.count('Sent', 3);
    clock += 3_600_000 + 1;
    await metrics.flush();
    expect(sink.totals.get('Sent{}')?.value).toBe(5);
    expect(sink.since(0).map((d) => d.value)).toEqual([3]);
  });
});

describe('what every function reports of an invocation', () => {
  it('counts a cold start once, invocations by outcome, errors and their share, and requests turned away', async () => {
    recordInvocation(metrics, 'ingest', 'ok', 4, 200);
    recordInvocation(metrics, 'ingest', 'error', 9, 500);
    recordInvocation(metrics, 'ingest', 'refused', 1, 429);
    recordInvocation(metrics, 'ingest', 'error', 2, 503);
    await metrics.flush();
    expect(value('ColdStarts{"function":"ingest"}')).toBe(1);
    expect(value('Invocations{"function":"ingest","outcome":"error"}')).toBe(2);
    expect(value('Errors{"function":"ingest"}')).toBe(2);
    expect(value('ErrorRate{"function":"ingest"}')).toBe(0.5);
    expect(value('Throttled{"function":"ingest"}')).toBe(1);
    expect(value('Unavailable{"function":"ingest"}')).toBe(1);
    expect(value('DurationMsP99{"function":"ingest"}')).toBe(9);
  });
});
