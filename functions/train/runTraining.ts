import { campaignOutcomes, type RunPeople } from '#models/datasets/campaignOutcomes';
import { campaignRuns } from '#models/datasets/campaignRuns';
import { conversionsFromRawLog } from '#models/datasets/conversions';
import { AppError, unprocessable } from '#lib/errors';
import { parseInteractions } from '#models/datasets/ncf';
import { datasetFromRawLog, type DateWindow } from '#models/datasets/rawEvents';
import type { Invocation } from '#lib/fc/decode';
import type { Logger } from '#lib/log';
import type { ObjectStore } from '#lib/objectStore';
import { RECOMMENDER_MODEL } from '#models/recommender/served';
import type { Provider } from '#models/onnx/executionProvider';
import { PROPENSITY_MODEL } from '#models/propensity/serving';
import { ModelRegistry } from '#models/registry';
import { UPLIFT_MODEL } from '#models/uplift/serving';
import { trainingRequestOf } from './plan';
import type { TrainDeps, TrainResult } from './release';
import { trainRecommender, type TrainingSet } from './trainRecommender';
import { HORIZON_DAYS, tooFewConversions, trainPropensity } from './trainPropensity';
import { tooFewCampaignOutcomes, trainUplift } from './trainUplift';

/** A model trained, or skipped for a reason a retry cannot fix (FC would otherwise re-run a GPU function for nothing). */
export type Outcome = TrainResult | { model: string; skipped: string; dataset?: string };

export interface RunDeps {
  objects: ObjectStore;
  clock: () => number;
  provider: Provider;
  /** The contact ledger: who each campaign run treated and held out (the uplift model's data). */
  ledger?: RunPeople;
}

/** An uploaded interaction file as a training set. */
export async function uploadedSet(objects: ObjectStore, key: string): Promise<TrainingSet> {
  const body = await objects.get(key);
  if (!body) throw unprocessable('dataset_gone', `dataset ${key} is gone`);
  const data = await parseInteractions(body.toString('utf8').split('\n'), key);
  return { byUser: data.byUser, itemIds: [...data.itemIndex.keys()], chronological: data.chronological, source: `oss:${key}`, window: {} };
}

/** Trains EASE on each uploaded dataset, or (timer) every model on the whole raw event log. */
export async function runTraining(deps: RunDeps, invocation: Invocation, logger: Logger): Promise<Outcome[]> {
  const request = trainingRequestOf(invocation);
  const trainDeps = { registry: new ModelRegistry(deps.objects), logger, clock: deps.clock, provider: deps.provider };
  if (request.source === 'upload') {
    const results: Outcome[] = [];
    for (const d of request.datasets) results.push(await trainUpload(trainDeps, deps.objects, d.key));
    return results;
  }
  return trainFromRawLog(trainDeps, deps.objects, {}, logger, deps.ledger);
}

/** EASE on one uploaded file; a file that is gone, malformed or too small is skipped with a warning, not retried. */
async function trainUpload(deps: TrainDeps, objects: ObjectStore, key: string): Promise<Outcome> {
  try {
    return await trainRecommender(deps, await uploadedSet(objects, key));
  } catch (err) {
    if (!(err instanceof AppError) || err.retryable) throw err;
    deps.logger.warn('dataset skipped: a retry cannot fix it', { dataset: key, code: err.code, reason: err.message });
    return { model: RECOMMENDER_MODEL, dataset: key, skipped: err.message };
  }
}

/**
 * The recommendation, propensity and uplift models from the raw log (and the ledger's campaign runs);
 * a model without enough data yet is skipped.
 */
export async function trainFromRawLog(
  deps: TrainDeps,
  objects: ObjectStore,
  window: DateWindow,
  logger: Logger,
  ledger?: RunPeople,
): Promise<Outcome[]> {
  const set = await rawLogSet(objects, window, logger);
  const ease = set ? await trainRecommender(deps, set) : { model: RECOMMENDER_MODEL, skipped: 'not enough behaviour in the raw log yet' };
  const conversions = await conversionsFromRawLog(objects, HORIZON_DAYS, window);
  const tooFew = tooFewConversions(conversions);
  const propensity = tooFew ? { model: PROPENSITY_MODEL, skipped: tooFew } : await trainPropensity(deps, conversions);
  return [ease, propensity, await upliftOutcome(deps, objects, window, ledger)];
}

/** The uplift model from finished campaign runs' treated and control people. */
async function upliftOutcome(deps: TrainDeps, objects: ObjectStore, window: DateWindow, ledger?: RunPeople): Promise<Outcome> {
  if (!ledger) return { model: UPLIFT_MODEL, skipped: 'no contact ledger to read campaign runs from' };
  const set = await campaignOutcomes(objects, ledger, await campaignRuns(objects), window);
  const tooFew = tooFewCampaignOutcomes(set);
  return tooFew ? { model: UPLIFT_MODEL, skipped: `${tooFew} (contact ledger: ${ledger.describe})` } : trainUplift(deps, set);
}

/** The raw event log (optionally a date window) as a training set; undefined while no user has two items. */
export async function rawLogSet(objects: ObjectStore, window: DateWindow, logger: Logger): Promise<TrainingSet | undefined> {
  const data = await datasetFromRawLog(objects, window);
  logger.info('training data from the raw log', { events: data.events, users: data.userIds.length, items: data.itemIds.length });
  if (!data.byUser.some((items) => items.length >= 2)) return undefined;
  return { byUser: data.byUser, itemIds: data.itemIds, weights: data.weights, chronological: true, source: 'raw-log', window: data.window };
}
