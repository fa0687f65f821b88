/**
 * FC entry of `train`. It runs in a custom container (GPU functions must), so FC reaches
 * it over the custom-runtime protocol: `POST /invoke` with the OSS or timer event.
 */
import { now } from '../../lib/clock';
import { config } from '../../lib/config';
import { eventFunctionListener, listenOnCaPort } from '../../lib/fc/customRuntime';
import { eventHandler } from '../../lib/fc/eventFunction';
import { objectStoreFrom } from '../../lib/objectStore';
import { runTraining } from './runTraining';

const deps = { objects: objectStoreFrom(config()), clock: now };

export const handler = eventHandler('train', (invocation, _context, logger) => runTraining(deps, invocation, logger));
export const requestListener = eventFunctionListener(handler);

if (require.main === module) listenOnCaPort(requestListener);
