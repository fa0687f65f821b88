/**
 * FC entry of `campaign` (built-in nodejs20 runtime, event handler): timer triggers name the
 * schedule to run; the OSS trigger on `imports/profiles/` imports uploaded profile files.
 */
import { now } from '#lib/clock';
import { config } from '#lib/config';
import { eventHandler } from '#lib/fc/eventFunction';
import { objectStoreFrom } from '#lib/objectStore';
import { profileBookFrom } from '#lib/profiles';
import { importProfiles, isProfileImport } from './importProfiles';
import { runSchedule } from './schedule';

const c = config();
const deps = { objects: objectStoreFrom(c), profiles: profileBookFrom(c), clock: now };

export const handler = eventHandler('campaign', async (invocation, context, logger) => {
  if (invocation.kind !== 'oss') return runSchedule(invocation, context, logger);
  const imports = invocation.objects.filter((o) => o.eventName.startsWith('ObjectCreated:') && isProfileImport(o.key));
  const results = [];
  for (const o of imports) results.push(await importProfiles({ ...deps, logger }, o.key));
  return results;
});
