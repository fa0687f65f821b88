/** One contract, every metrics sink: local, and CloudMonitor (real pop-core client, fake CMS on the wire). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudMonitorSink } from '#lib/metrics/cloudMonitor';
import { LocalMetricsSink } from '#lib/metrics/localSink';
import type { MetricDatum, MetricsSink } from '#lib/metrics/port';
import { MetricsRecorder } from '#lib/metrics/recorder';
import { putCustomMetricAction, startAlibabaRpcFake, TEST_AK } from '../wire/alibabaRpc';

interface Harness {
  sink: MetricsSink;
  reported(): Array<{ name: string; value: number; dimensions: Record<string, string> }>;
  teardown(): Promise<void>;
}

const adapters: Record<string, () => Promise<Harness>> = {
  local: async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-metrics-'));
    const file = path.join(dir, 'metrics.jsonl');
    return {
      sink: new LocalMetricsSink(file),
      reported: () =>
        readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as MetricDatum),
      teardown: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  cloudmonitor: async () => {
    const fake = await startAlibabaRpcFake('2019-01-01', { PutCustomMetric: putCustomMetricAction });
    return {
      sink: new CloudMonitorSink({ credentials: () => TEST_AK, region: 'cn-hangzhou', endpoint: fake.url }),
      reported: () =>
        fake.calls.flatMap((c) =>
          Object.keys(c)
            .filter((k) => k.endsWith('.MetricName'))
            .map((k) => Number(k.split('.')[1]))
            .sort((a, b) => a - b)
            .map((n) => {
              const k = `MetricList.${n}.MetricName`;
              return {
                name: c[k],
                value: (JSON.parse(c[`MetricList.${n}.Values`]) as { value: number }).value,
                dimensions: JSON.parse(c[`MetricList.${n}.Dimensions`]) as Record<string, string>,
              };
            }),
        ),
      teardown: () => fake.close(),
    };
  },
};

describe.each(Object.keys(adapters))('metrics contract: %s', (name) => {
  let h: Harness;
  beforeEach(async () => {
    h = await adapters[name]();
  });
  afterEach(() => h.teardown());

  it('reports each datum with its name, value and dimensions', async () => {
    await h.sink.put([{ name: 'EventsAccepted', value: 20, dimensions: { function: 'ingest' }, time: Date.now() }]);
    expect(h.reported()).toEqual([expect.objectContaining({ name: 'EventsAccepted', value: 20, dimensions: { function: 'ingest' } })]);
  });

  it('reports more data than one API call takes (CloudMonitor: 21 per call)', async () => {
    const data = Array.from({ length: 50 }, (_, i) => ({ name: `M${i}`, value: i, dimensions: {}, time: Date.now() }));
    await h.sink.put(data);
    expect(h.reported().map((d) => d.name)).toEqual(data.map((d) => d.name));
  });

  it('refuses names and dimensions CloudMonitor would refuse', async () => {
    await expect(h.sink.put([{ name: '9bad', value: 1, dimensions: {}, time: 0 }])).rejects.toThrow(/metric name/);
    await expect(h.sink.put([{ name: 'Ok', value: 1, dimensions: { a: 'x=y' }, time: 0 }])).rejects.toThrow(/dimension/);
  });
});

describe('metrics recorder', () => {
  it('aggregates counts and means in the instance and reports one datum per series', async () => {
    const sink = new LocalMetricsSink();
    let t = 0;
    const recorder = new MetricsRecorder(sink, () => t, 10_000);
    recorder.count('Requests', 1, { fn: 'ingest' });
    recorder.count('Requests', 2, { fn: 'ingest' });
    recorder.observe('LatencyMs', 10);
    recorder.observe('LatencyMs', 30);
    await recorder.flushIfDue();
    expect(sink.latest.size).toBe(0);
    t = 10_000;
    await recorder.flushIfDue();
    expect([...sink.latest.values()].map((d) => [d.name, d.value])).toEqual([
      ['Requests', 3],
      ['LatencyMs', 20],
    ]);
  });
});
