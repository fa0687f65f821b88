/**
 * FC entry of `recommend`: a koa web function on provisioned instances. The model, its id
 * mappings and the catalogue load once per instance, in FC's initializer (`POST /initialize`)
 * before traffic; they are swapped in place when the registry promotes a new version.
 */
import { authenticatorFor } from '#lib/auth';
import { now } from '#lib/clock';
import { contactLedgerFrom } from '#lib/contacts';
import { appKeysOf, config } from '#lib/config';
import { listenOnCaPort } from '#lib/fc/customRuntime';
import { featureStoreFrom } from '#lib/featureStore';
import { log } from '#lib/log';
import { metricsRecorderFor } from '#lib/metrics';
import { objectStoreFrom } from '#lib/objectStore';
import { createRecommendApp } from './app';
import { MessagedItems } from './messaged';
import { ServingState } from './servingState';
import { TrendingItems } from './trending';

const c = config();
const logger = log.child({ fn: 'recommend' });
const features = featureStoreFrom(c);

export const requestListener = createRecommendApp({
  features,
  messaged: new MessagedItems(contactLedgerFrom(c), c.demoteMessagedDays, now, logger),
  state: new ServingState({ store: objectStoreFrom(c), checkEveryMs: c.modelCheckS * 1000, logger, clock: now }),
  trending: new TrendingItems(features, now),
  metrics: metricsRecorderFor(c, 'recommend'),
  logger,
  clock: now,
  auth: authenticatorFor(appKeysOf(c), features, now),
  budgetMs: c.recommendBudgetMs,
  featureBudgetMs: c.featureBudgetMs,
}).callback();

if (require.main === module) listenOnCaPort(requestListener);
