/**
 * FC entry of `train`. It runs in a custom container (GPU functions must), so FC reaches
 * it over the custom-runtime protocol: `POST /invoke` with the OSS or timer event.
 */
import { now } from '#lib/clock';
import { config } from '#lib/config';
import { contactLedgerFrom } from '#lib/contacts';
import { eventFunctionListener, listenOnCaPort } from '#lib/fc/customRuntime';
import { eventHandler } from '#lib/fc/eventFunction';
import { log } from '#lib/log';
import { metricsRecorderFor } from '#lib/metrics';
import { objectStoreFrom } from '#lib/objectStore';
import { usableProvider } from '#models/onnx/executionProvider';
import { ModelRegistry } from '#models/registry';
import { recordTraining } from './trainingMetrics';
import { runTraining } from './runTraining';

const c = config();
const objects = objectStoreFrom(c);
// Campaign runs' treated and control people, for the uplift model (Redis when configured).
const ledger = contactLedgerFrom(c);
// Probed once at start (and logged); invocations wait for the answer.
const provider = usableProvider(c.ortProvider, log.child({ fn: 'train' }));

const metrics = metricsRecorderFor(c, 'train');

export const handler = eventHandler('train', async (invocation, _context, logger) => {
  const outcomes = await runTraining({ objects, ledger, clock: now, provider: await provider }, invocation, logger);
  await recordTraining(metrics, new ModelRegistry(objects), outcomes, now());
  return outcomes;
});
export const requestListener = eventFunctionListener(handler);

if (require.main === module) listenOnCaPort(requestListener);
