/**
 * FC entry of `compact` (built-in nodejs20 runtime): a timer flushes ingest's event log
 * into the raw log in the object store. A direct invocation flushes too.
 */
import { config } from '#lib/config';
import { eventLogFrom } from '#lib/eventLog';
import { eventHandler } from '#lib/fc/eventFunction';
import { objectStoreFrom } from '#lib/objectStore';
import { flushEventLog } from './flush';

const c = config();
const deps = { log: eventLogFrom(c), objects: objectStoreFrom(c) };

export const handler = eventHandler('compact', (_invocation, _context, logger) => flushEventLog({ ...deps, logger }));
