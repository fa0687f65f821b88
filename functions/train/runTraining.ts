import { parseInteractions } from '../../lib/datasets/ncf';
import { datasetFromRawLog } from '../../lib/datasets/rawEvents';
import type { Invocation } from '../../lib/fc/decode';
import type { Logger } from '../../lib/log';
import type { ObjectStore } from '../../lib/objectStore';
import { ModelRegistry } from '../../models/registry';
import { trainingRequestOf } from './plan';
import { trainEase, type TrainResult, type TrainingSet } from './trainEase';

export interface RunDeps {
  objects: ObjectStore;
  clock: () => number;
}

/** An uploaded interaction file as a training set. */
export async function uploadedSet(objects: ObjectStore, key: string): Promise<TrainingSet> {
  const body = await objects.get(key);
  if (!body) throw new Error(`dataset ${key} is gone`);
  const data = await parseInteractions(body.toString('utf8').split('\n'), key);
  return { byUser: data.byUser, itemIds: [...data.itemIndex.keys()], chronological: data.chronological, source: `oss:${key}`, window: {} };
}

/** Trains on each uploaded dataset, or (timer) on the whole raw event log. */
export async function runTraining(deps: RunDeps, invocation: Invocation, logger: Logger): Promise<TrainResult[] | { skipped: string }> {
  const request = trainingRequestOf(invocation);
  const trainDeps = { registry: new ModelRegistry(deps.objects), logger, clock: deps.clock };
  if (request.source === 'upload') {
    const results: TrainResult[] = [];
    for (const d of request.datasets) results.push(await trainEase(trainDeps, await uploadedSet(deps.objects, d.key)));
    return results;
  }
  const set = await rawLogSet(deps.objects, {}, logger);
  return set ? [await trainEase(trainDeps, set)] : { skipped: 'not enough behaviour in the raw log yet' };
}

/** The raw event log (optionally a date window) as a training set; undefined while no user has two items. */
export async function rawLogSet(objects: ObjectStore, window: { from?: string; to?: string }, logger: Logger): Promise<TrainingSet | undefined> {
  const data = await datasetFromRawLog(objects, window);
  logger.info('training data from the raw log', { events: data.events, users: data.userIds.length, items: data.itemIds.length });
  if (!data.byUser.some((items) => items.length >= 2)) return undefined;
  return { byUser: data.byUser, itemIds: data.itemIds, weights: data.weights, chronological: true, source: 'raw-log', window: data.window };
}
