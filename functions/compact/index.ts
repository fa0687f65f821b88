/**
 * FC entry of `compact` (built-in nodejs20 runtime): a timer flushes ingest's event log
 * into the raw log in the object store. A direct invocation flushes too. Running every
 * minute, it also reports how long ago training last succeeded, so that a stopped train
 * raises its alarm (train itself reports only when it runs).
 */
import { config } from '#lib/config';
import { eventLogFrom } from '#lib/eventLog';
import { eventHandler } from '#lib/fc/eventFunction';
import { metricsRecorderFor } from '#lib/metrics';
import { objectStoreFrom } from '#lib/objectStore';
import { now } from '#lib/clock';
import { ModelRegistry } from '#models/registry';
import { flushEventLog } from './flush';

const c = config();
const deps = { log: eventLogFrom(c), objects: objectStoreFrom(c) };

const registry = new ModelRegistry(deps.objects);
const metrics = metricsRecorderFor(c, 'compact');

export const handler = eventHandler('compact', async (_invocation, _context, logger) => {
  const flushed = await flushEventLog({ ...deps, logger });
  const trained = await registry.lastTrained();
  if (trained) metrics.gauge('HoursSinceTraining', (now() - Date.parse(trained.createdAt)) / 3_600_000);
  return flushed;
});
