import { badRequest } from '#lib/errors';
import type { Invocation } from '#lib/fc/decode';
import { DATASET_PREFIX } from '#lib/objectStore/keys';

/** Where uploaded datasets land; the OSS trigger in s.yaml watches the same prefix. */

export type TrainingRequest =
  | { source: 'upload'; datasets: { key: string; size: number; requestId: string }[] }
  | { source: 'schedule'; triggerTime: string };

/** Interaction files train accepts: NCF `*.rating` and MovieLens `u.data` (user, item[, rating, timestamp]). */
export const isInteractionFile = (key: string) => key.endsWith('.rating') || key.endsWith('u.data');

/** Turns the trigger that fired into what to train on. */
export function trainingRequestOf(invocation: Invocation): TrainingRequest {
  if (invocation.kind === 'oss') {
    const datasets = invocation.objects
      .filter((o) => o.eventName.startsWith('ObjectCreated:') && o.key.startsWith(DATASET_PREFIX) && isInteractionFile(o.key))
      .map(({ key, size, requestId }) => ({ key, size, requestId }));
    if (datasets.length === 0)
      throw badRequest('no_dataset', `no new interaction file (*.rating, u.data) under ${DATASET_PREFIX} in this OSS event`);
    return { source: 'upload', datasets };
  }
  if (invocation.kind === 'timer') return { source: 'schedule', triggerTime: invocation.tick.triggerTime };
  throw badRequest('bad_event', `train runs on OSS or timer events, not ${invocation.kind} events`);
}
