/** CloudMonitor custom metrics (CMS 2019-01-01 PutCustomMetric) through `@alicloud/pop-core`. */
import type RPCClient from '@alicloud/pop-core';
import { alibabaRpcClient } from '#lib/cloud/alibabaRpc';
import type { CredentialsProvider } from '#lib/cloud/credentials';
import { unavailable } from '#lib/errors';
import { assertValidDatum, type MetricDatum, type MetricsSink } from './port';

export interface CloudMonitorOptions {
  credentials: CredentialsProvider;
  /** Default `https://metrics.<region>.aliyuncs.com` */
  endpoint?: string;
  region: string;
  groupId?: string;
}

/** CloudMonitor takes at most 21 entries per PutCustomMetric call. */
const BATCH = 21;

export class CloudMonitorSink implements MetricsSink {
  readonly describe = 'cloudmonitor';
  private readonly client: RPCClient;

  constructor(private readonly o: CloudMonitorOptions) {
    this.client = alibabaRpcClient(o.credentials, o.endpoint ?? `https://metrics.${o.region}.aliyuncs.com`, '2019-01-01');
  }

  async put(data: MetricDatum[]): Promise<void> {
    data.forEach(assertValidDatum);
    for (let i = 0; i < data.length; i += BATCH) {
      const MetricList = data.slice(i, i + BATCH).map((d) => ({
        GroupId: this.o.groupId ?? '0',
        MetricName: d.name,
        Dimensions: JSON.stringify(d.dimensions),
        Time: String(d.time),
        Type: '0',
        Values: JSON.stringify({ value: d.value }),
      }));
      try {
        await this.client.request('PutCustomMetric', { MetricList }, { method: 'POST', timeout: 3000 });
      } catch (err) {
        throw unavailable('metrics_unavailable', 'CloudMonitor PutCustomMetric failed', err);
      }
    }
  }
}
