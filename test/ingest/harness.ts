/** The ingest app served over real HTTP with injected ports, for request-level tests. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authenticatorFor, type AppSecrets } from '#lib/auth';
import type { ContactLedger } from '#lib/contacts';
import { MemoryContactLedger } from '#lib/contacts/memoryLedger';
import type { EventLog } from '#lib/eventLog';
import { PhoneVault, ProfileBook } from '#lib/profiles';
import { MemoryProfileStore } from '#lib/profiles/memoryStore';
import { LocalJournal } from '#lib/eventLog/localJournal';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import type { FeatureStore } from '#lib/featureStore';
import { createLogger } from '#lib/log';
import { LocalMetricsSink } from '#lib/metrics/localSink';
import { MetricsRecorder } from '#lib/metrics/recorder';
import { createIngestApp } from '../../functions/ingest/app';

export interface IngestHarness {
  baseUrl: string;
  log: EventLog;
  features: FeatureStore;
  profiles: ProfileBook;
  contacts: ContactLedger;
  metrics: LocalMetricsSink;
  close(): Promise<void>;
}

export async function startIngest(
  overrides: { secrets?: AppSecrets; profiles?: ProfileBook; log?: EventLog; features?: FeatureStore; rateLimitPerMinute?: number } = {},
): Promise<IngestHarness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-ingest-'));
  const log = overrides.log ?? new LocalJournal(dir);
  const features = overrides.features ?? new MemoryFeatureStore();
  const metrics = new LocalMetricsSink();
  const profiles = overrides.profiles ?? new ProfileBook(new MemoryProfileStore(), new PhoneVault(Buffer.alloc(32, 7)));
  const contacts = new MemoryContactLedger();
  const app = createIngestApp({
    log,
    features,
    contacts,
    metrics: new MetricsRecorder(metrics),
    profiles,
    auth: authenticatorFor(overrides.secrets ?? { demo: ['demo-secret'], shop2: ['another-secret'] }, features, Date.now),
    rateLimitPerMinute: overrides.rateLimitPerMinute ?? 1_000_000,
    featureBudgetMs: 300,
    clock: Date.now,
    logger: createLogger({}, () => undefined),
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    log,
    features,
    profiles,
    contacts,
    metrics,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A valid event; override any field. */
export const event = (fields: Record<string, unknown> = {}) => ({
  event_id: `e-${process.pid}-${++counter}`,
  type: 'click',
  user_id: 'u1',
  ts: Date.now() - 1000,
  item_id: 'sku-1',
  context: { platform: 'wechat', scene: '1001', page: 'pages/item', app_version: '3.2.0' },
  ...fields,
});
