/**
 * FC entry of `recommend`: a koa web function on provisioned instances. FC calls the
 * initializer (`POST /initialize`) before traffic, which warms the feature store.
 */
import { config } from '../../lib/config';
import { listenOnCaPort } from '../../lib/fc/customRuntime';
import { featureStoreFrom } from '../../lib/featureStore';
import { metricsRecorderFor } from '../../lib/metrics';
import { createRecommendApp } from './app';

const c = config();
export const requestListener = createRecommendApp({
  features: featureStoreFrom(c),
  metrics: metricsRecorderFor(c, 'recommend'),
}).callback();

if (require.main === module) listenOnCaPort(requestListener);
