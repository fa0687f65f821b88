/**
 * FC entry of `train`. It runs in a custom container (GPU functions must), so FC reaches
 * it over the custom-runtime protocol: `POST /invoke` with the OSS or timer event.
 */
import { eventFunctionListener, listenOnCaPort } from '../../lib/fc/customRuntime';
import { eventHandler } from '../../lib/fc/eventFunction';
import { planTraining } from './plan';

export const handler = eventHandler('train', planTraining);
export const requestListener = eventFunctionListener(handler);

if (require.main === module) listenOnCaPort(requestListener);
