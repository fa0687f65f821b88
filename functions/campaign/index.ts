/**
 * FC entry of `campaign` (built-in nodejs20 runtime, event handler): its minute timer runs the
 * campaigns due (timer.ts, each run through runOne.ts); its OSS triggers import profile files (`imports/profiles/`) and
 * validate and schedule campaign definitions (`campaigns/`); direct invocations carry the
 * marketer's commands (commands.ts) or a chunk of a large run (chunks.ts).
 */
import { now } from '#lib/clock';
import { config } from '#lib/config';
import { contactLedgerFrom } from '#lib/contacts';
import { asyncInvokerFrom } from '#lib/fanout';
import { eventHandler } from '#lib/fc/eventFunction';
import { featureStoreFrom } from '#lib/featureStore';
import { metricsRecorderFor } from '#lib/metrics';
import { objectStoreFrom } from '#lib/objectStore';
import { profileBookFrom } from '#lib/profiles';
import { smsSenderFrom } from '#lib/sms';
import { chunkTaskOf } from './chunks';
import { commandOf, runCommand } from './commands';
import { importProfiles, isProfileImport } from './importProfiles';
import { activeDefinition, isDefinitionUpload, registerDefinition } from './definitions/store';
import { runOne } from './runOne';
import { runDue, tickOf } from './timer';

const c = config();
const deps = {
  objects: objectStoreFrom(c),
  profiles: profileBookFrom(c),
  features: featureStoreFrom(c),
  ledger: contactLedgerFrom(c),
  sms: smsSenderFrom(c),
  policy: { caps: { perDay: c.capPerDay, perWeek: c.capPerWeek }, quiet: c.quietHours, qps: c.smsQps, priceMilliYuan: c.smsPriceMilliYuan },
  clock: now,
  leaseMs: c.campaignLeaseS * 1000,
  deferRetryMs: c.campaignDeferRetryMs,
  metrics: metricsRecorderFor(c, 'campaign'),
};
const invoker = asyncInvokerFrom(c);

export const handler = eventHandler('campaign', async (invocation, context, logger) => {
  const fanout = invoker && { invoker, functionName: context.function.name, chunkSize: c.campaignChunkSize };
  const chunk = chunkTaskOf(invocation);
  if (chunk) {
    // A minute before FC's timeout (at least half of it) the chunk stops and submits its continuation.
    const timeoutMs = (context.function.timeout ?? 900) * 1000;
    const stopBy = Date.now() + Math.max(timeoutMs / 2, timeoutMs - 60_000);
    return runOne({ ...deps, logger, fanout, stopBy }, await activeDefinition(deps.objects, chunk.campaign), chunk.run_id, chunk.chunk);
  }
  const command = commandOf(invocation);
  if (command) return runCommand({ ...deps, logger, fanout }, command);
  if (invocation.kind !== 'oss') return runDue({ ...deps, logger, fanout }, tickOf(invocation));
  const results = [];
  for (const o of invocation.objects.filter((x) => x.eventName.startsWith('ObjectCreated:'))) {
    if (isProfileImport(o.key)) results.push(await importProfiles({ ...deps, logger }, o.key));
    else if (isDefinitionUpload(o.key)) results.push(await registerDefinition({ ...deps, logger }, o.key));
  }
  return results;
});
