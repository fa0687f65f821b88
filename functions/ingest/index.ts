/**
 * FC entry of `ingest`: a koa web function in a custom runtime, so one instance serves
 * many requests at once (instanceConcurrency), which built-in runtimes do not allow.
 */
import { authenticatorFor } from '#lib/auth';
import { now } from '#lib/clock';
import { appKeysOf, config } from '#lib/config';
import { contactLedgerFrom } from '#lib/contacts';
import { eventLogFrom } from '#lib/eventLog';
import { listenOnCaPort } from '#lib/fc/customRuntime';
import { featureStoreFrom } from '#lib/featureStore';
import { log } from '#lib/log';
import { metricsRecorderFor } from '#lib/metrics';
import { profileBookFrom } from '#lib/profiles';
import { createIngestApp } from './app';

const c = config();
const features = featureStoreFrom(c);
export const requestListener = createIngestApp({
  log: eventLogFrom(c),
  features,
  contacts: contactLedgerFrom(c),
  auth: authenticatorFor(appKeysOf(c), features, now),
  profiles: profileBookFrom(c),
  metrics: metricsRecorderFor(c, 'ingest'),
  rateLimitPerMinute: c.rateLimitPerMinute,
  featureBudgetMs: c.ingestFeatureBudgetMs,
  clock: now,
  logger: log.child({ fn: 'ingest' }),
}).callback();

if (require.main === module) listenOnCaPort(requestListener);
