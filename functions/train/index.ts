/**
 * FC entry of `train`. It runs in a custom container (GPU functions must), so FC reaches
 * it over the custom-runtime protocol: `POST /invoke` with the OSS or timer event.
 */
import { now } from '#lib/clock';
import { config } from '#lib/config';
import { eventFunctionListener, listenOnCaPort } from '#lib/fc/customRuntime';
import { eventHandler } from '#lib/fc/eventFunction';
import { log } from '#lib/log';
import { objectStoreFrom } from '#lib/objectStore';
import { usableProvider } from '#models/onnx/executionProvider';
import { runTraining } from './runTraining';

const c = config();
const objects = objectStoreFrom(c);
// Probed once at start (and logged); invocations wait for the answer.
const provider = usableProvider(c.ortProvider, log.child({ fn: 'train' }));

export const handler = eventHandler('train', async (invocation, _context, logger) => runTraining({ objects, clock: now, provider: await provider }, invocation, logger));
export const requestListener = eventFunctionListener(handler);

if (require.main === module) listenOnCaPort(requestListener);
