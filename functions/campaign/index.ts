/**
 * FC entry of `campaign` (built-in nodejs20 runtime, event handler): its minute timer runs the
 * campaigns due (schedule.ts); its OSS triggers import profile files (`imports/profiles/`) and
 * validate and schedule campaign definitions (`campaigns/`); direct invocations carry the
 * marketer's commands (commands.ts).
 */
import { now } from '#lib/clock';
import { config } from '#lib/config';
import { contactLedgerFrom } from '#lib/contacts';
import { eventHandler } from '#lib/fc/eventFunction';
import { featureStoreFrom } from '#lib/featureStore';
import { objectStoreFrom } from '#lib/objectStore';
import { profileBookFrom } from '#lib/profiles';
import { smsSenderFrom } from '#lib/sms';
import { commandOf, runCommand } from './commands';
import { importProfiles, isProfileImport } from './importProfiles';
import { isDefinitionUpload, registerDefinition, runDue, tickOf } from './schedule';

const c = config();
const deps = {
  objects: objectStoreFrom(c),
  profiles: profileBookFrom(c),
  features: featureStoreFrom(c),
  ledger: contactLedgerFrom(c),
  sms: smsSenderFrom(c),
  policy: { caps: { perDay: c.capPerDay, perWeek: c.capPerWeek }, quiet: c.quietHours, qps: c.smsQps, priceMilliYuan: c.smsPriceMilliYuan },
  clock: now,
};

export const handler = eventHandler('campaign', async (invocation, _context, logger) => {
  const command = commandOf(invocation);
  if (command) return runCommand({ ...deps, logger }, command);
  if (invocation.kind !== 'oss') return runDue({ ...deps, logger }, tickOf(invocation));
  const results = [];
  for (const o of invocation.objects.filter((x) => x.eventName.startsWith('ObjectCreated:'))) {
    if (isProfileImport(o.key)) results.push(await importProfiles({ ...deps, logger }, o.key));
    else if (isDefinitionUpload(o.key)) results.push(await registerDefinition({ ...deps, logger }, o.key));
  }
  return results;
});
