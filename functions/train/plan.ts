import { badRequest } from '../../lib/errors';
import type { Invocation } from '../../lib/fc/decode';
import type { Logger } from '../../lib/log';

/** Where uploaded datasets land; the OSS trigger in s.yaml watches the same prefix. */
export const DATASET_PREFIX = 'datasets/';

export type TrainingRequest =
  | { source: 'upload'; datasets: { key: string; size: number; requestId: string }[] }
  | { source: 'schedule'; triggerTime: string };

/** Turns the trigger that fired into what to train on. */
export function trainingRequestOf(invocation: Invocation): TrainingRequest {
  if (invocation.kind === 'oss') {
    const datasets = invocation.objects
      .filter((o) => o.eventName.startsWith('ObjectCreated:') && o.key.startsWith(DATASET_PREFIX))
      .map(({ key, size, requestId }) => ({ key, size, requestId }));
    if (datasets.length === 0) throw badRequest('no_dataset', `no new object under ${DATASET_PREFIX} in this OSS event`);
    return { source: 'upload', datasets };
  }
  if (invocation.kind === 'timer') return { source: 'schedule', triggerTime: invocation.tick.triggerTime };
  throw badRequest('bad_event', `train runs on OSS or timer events, not ${invocation.kind} events`);
}

export async function planTraining(invocation: Invocation, _context: unknown, logger: Logger): Promise<TrainingRequest> {
  const request = trainingRequestOf(invocation);
  logger.info('training requested', { source: request.source });
  return request;
}
