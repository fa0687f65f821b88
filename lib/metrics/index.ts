import { now } from '#lib/clock';
import { requiredCredentials } from '#lib/cloud/credentials';
import type { Config } from '#lib/config';
import { processShared } from '#lib/processShared';
import { CloudMonitorSink } from './cloudMonitor';
import { LocalMetricsSink } from './localSink';
import type { MetricsSink } from './port';
import { MetricsRecorder } from './recorder';

export type { MetricsSink, MetricDatum } from './port';
export { MetricsRecorder } from './recorder';

export function metricsSinkFrom(c: Config): MetricsSink {
  return processShared(`metrics:${c.metrics}`, () =>
    c.metrics === 'cloudmonitor'
      ? new CloudMonitorSink({
          credentials: requiredCredentials(c),
          endpoint: c.cmsEndpoint,
          region: c.region,
          groupId: c.cmsGroupId,
        })
      : new LocalMetricsSink(c.metricsFile),
  );
}

/** This function instance's recorder (one per function, so dimensions stay per function). */
export function metricsRecorderFor(c: Config, functionName: string): MetricsRecorder {
  return processShared(`recorder:${functionName}`, () => new MetricsRecorder(metricsSinkFrom(c), now));
}
