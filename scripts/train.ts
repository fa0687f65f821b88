/**
 * `npm run train -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--dataset datasets/x/train.rating]`:
 * trains as the `train` function does: the recommendation and propensity models from the raw
 * event log, or EASE from one uploaded dataset, in the configured object store (local by
 * default); registers each version and promotes it if it beats the champion. One JSON line each.
 */
import { parseArgs } from 'node:util';
import { now } from '#lib/clock';
import { config } from '#lib/config';
import { contactLedgerFrom } from '#lib/contacts';
import { log } from '#lib/log';
import { objectStoreFrom } from '#lib/objectStore';
import { ModelRegistry } from '#models/registry';
import { trainFromRawLog, uploadedSet } from '../functions/train/runTraining';
import { trainRecommender } from '../functions/train/trainRecommender';

const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' }, dataset: { type: 'string' } } });

async function main() {
  const objects = objectStoreFrom(config());
  const logger = log.child({ fn: 'train', cli: true });
  const deps = { registry: new ModelRegistry(objects), logger, clock: now };
  const results = values.dataset
    ? [await trainRecommender(deps, await uploadedSet(objects, values.dataset))]
    : await trainFromRawLog(deps, objects, { from: values.from, to: values.to }, logger, contactLedgerFrom(config()));
  for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`train failed: ${(err as Error).message}\n`);
  process.exit(1);
});
