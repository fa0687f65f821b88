/**
 * `npm run train -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--dataset datasets/x/train.rating]`:
 * trains EASE as the `train` function does, from the raw event log (or one uploaded
 * dataset) in the configured object store (local by default), registers the version and
 * promotes it if it beats the champion.
 */
import { parseArgs } from 'node:util';
import { now } from '../lib/clock';
import { config } from '../lib/config';
import { datasetFromRawLog } from '../lib/datasets/rawEvents';
import { log } from '../lib/log';
import { objectStoreFrom } from '../lib/objectStore';
import { ModelRegistry } from '../models/registry';
import { runTraining } from '../functions/train/runTraining';
import { trainEase } from '../functions/train/trainEase';

const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' }, dataset: { type: 'string' } } });

async function main() {
  const objects = objectStoreFrom(config());
  const logger = log.child({ fn: 'train', cli: true });
  if (values.dataset) {
    const invocation = { kind: 'oss' as const, objects: [{ eventName: 'ObjectCreated:PutObject', bucket: '', key: values.dataset, size: 0, eTag: '', time: '', requestId: 'cli' }] };
    process.stdout.write(`${JSON.stringify(await runTraining({ objects, clock: now }, invocation, logger))}\n`);
    return;
  }
  const data = await datasetFromRawLog(objects, { from: values.from, to: values.to });
  process.stderr.write(`raw log: ${data.events} interest events, ${data.userIds.length} users, ${data.itemIds.length} items\n`);
  const result = await trainEase(
    { registry: new ModelRegistry(objects), logger, clock: now },
    { byUser: data.byUser, itemIds: data.itemIds, chronological: true, source: 'raw-log', window: data.window },
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`train failed: ${(err as Error).message}\n`);
  process.exit(1);
});
