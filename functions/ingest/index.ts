/**
 * FC entry of `ingest`: a koa web function in a custom runtime, so one instance serves
 * many requests at once (instanceConcurrency), which built-in runtimes do not allow.
 */
import { config } from '../../lib/config';
import { listenOnCaPort } from '../../lib/fc/customRuntime';
import { featureStoreFrom } from '../../lib/featureStore';
import { metricsRecorderFor } from '../../lib/metrics';
import { objectStoreFrom } from '../../lib/objectStore';
import { createIngestApp } from './app';

const c = config();
export const requestListener = createIngestApp({
  objects: objectStoreFrom(c),
  features: featureStoreFrom(c),
  metrics: metricsRecorderFor(c, 'ingest'),
}).callback();

if (require.main === module) listenOnCaPort(requestListener);
