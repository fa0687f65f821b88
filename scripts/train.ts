/**
 * `npm run train -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--dataset datasets/x/train.rating]`:
 * trains EASE as the `train` function does, from the raw event log (or one uploaded
 * dataset) in the configured object store (local by default), registers the version and
 * promotes it if it beats the champion.
 */
import { parseArgs } from 'node:util';
import { now } from '../lib/clock';
import { config } from '../lib/config';
import { log } from '../lib/log';
import { objectStoreFrom } from '../lib/objectStore';
import { ModelRegistry } from '../models/registry';
import { rawLogSet, uploadedSet } from '../functions/train/runTraining';
import { trainEase } from '../functions/train/trainEase';

const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' }, dataset: { type: 'string' } } });

async function main() {
  const objects = objectStoreFrom(config());
  const logger = log.child({ fn: 'train', cli: true });
  const set = values.dataset ? await uploadedSet(objects, values.dataset) : await rawLogSet(objects, { from: values.from, to: values.to }, logger);
  if (!set) {
    process.stdout.write(`${JSON.stringify({ skipped: 'not enough behaviour in the raw log yet' })}\n`);
    return;
  }
  const result = await trainEase({ registry: new ModelRegistry(objects), logger, clock: now }, set);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`train failed: ${(err as Error).message}\n`);
  process.exit(1);
});
