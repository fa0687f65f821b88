/**
 * The embedded metrics sink: keeps the latest value of each series for the local
 * runtime's status page and, when a file is given, appends every datum as a JSON line.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { assertValidDatum, type MetricDatum, type MetricsSink } from './port';

export class LocalMetricsSink implements MetricsSink {
  readonly describe: string;
  readonly latest = new Map<string, MetricDatum>();

  constructor(private readonly file?: string) {
    this.describe = file ? `local:${file}` : 'local';
  }

  async put(data: MetricDatum[]): Promise<void> {
    data.forEach(assertValidDatum);
    for (const d of data) this.latest.set(`${d.name}${JSON.stringify(d.dimensions)}`, d);
    if (this.file && data.length > 0) {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await fs.appendFile(this.file, data.map((d) => JSON.stringify(d)).join('\n') + '\n');
    }
  }
}
