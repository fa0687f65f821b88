/**
 * `npm run alarms -- plan|apply [--file ops/alarms.yaml]`: plan reads the rules CloudMonitor
 * holds under the file's rule ids and prints what apply would create or update, field by field,
 * changing nothing; apply makes them so (a rule already as the file says is left alone, so a
 * second apply changes nothing).
 *
 * Settings come from the environment: MKT_REGION, MKT_CMS_ENDPOINT, MKT_CMS_GROUP_ID and the
 * ALIBABA_CLOUD_ACCESS_KEY_* credentials as the platform reads them (lib/config.ts), the contact
 * group variables the file names, and ALIBABA_CLOUD_ACCOUNT_ID when a custom-metric rule
 * compares with yesterday.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CredentialSource } from '#lib/cloud/credentials';
import { loadConfig } from '#lib/config';
import { CloudMonitorRules } from './cloudMonitorRules';
import { formatPlan, planChanges } from './plan';
import { parseAlarmFile, type AlarmFile } from './ruleFile';
import { desiredRule, needsResourceApi, type RuleSettings } from './ruleState';

export const DEFAULT_RULES_FILE = 'ops/alarms.yaml';
const USAGE = 'usage: npm run alarms -- plan|apply [--file ops/alarms.yaml]';

/** The file's contact groups and account id from the environment; names every variable that is missing. */
export function ruleSettings(file: AlarmFile, env: NodeJS.ProcessEnv, region: string, groupId: string): RuleSettings {
  const missing: string[] = [];
  const contactGroups: Record<string, string> = {};
  for (const role of new Set(file.rules.map((r) => r.notify))) {
    const variable = file.contactGroups[role];
    const value = env[variable]?.trim();
    if (value) contactGroups[role] = value;
    else {
      const ids = file.rules.filter((r) => r.notify === role).map((r) => r.id);
      missing.push(`${variable} is not set: the CloudMonitor contact group(s) for "${role}" (rules ${ids.join(', ')}), comma-separated`);
    }
  }
  const yesterday = file.rules.filter((r) => r.namespace === 'custom' && needsResourceApi(r)).map((r) => r.id);
  const accountId = env.ALIBABA_CLOUD_ACCOUNT_ID?.trim();
  if (yesterday.length > 0 && !accountId) {
    missing.push(
      `ALIBABA_CLOUD_ACCOUNT_ID is not set: rule(s) ${yesterday.join(', ')} compare ` +
        `a custom metric with yesterday, in namespace acs_customMetric_<account id>`,
    );
  }
  if (missing.length > 0) throw new Error(`missing settings:\n  - ${missing.join('\n  - ')}`);
  return { region, groupId, contactGroups, ...(accountId ? { accountId } : {}) };
}

/** Runs the command; returns the exit code. `out` receives what is printed. */
export async function runAlarms(argv: string[], env: NodeJS.ProcessEnv, out: (text: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { file: { type: 'string', default: DEFAULT_RULES_FILE } },
  });
  const [command] = positionals;
  if (command !== 'plan' && command !== 'apply') return (out(`${USAGE}\n`), 2);

  const file = parseAlarmFile(readFileSync(values.file!, 'utf8'), values.file!);
  const c = loadConfig(env);
  const settings = ruleSettings(file, env, c.region, c.cmsGroupId);
  const credentials = new CredentialSource({
    accessKeyId: c.accessKeyId,
    accessKeySecret: c.accessKeySecret,
    securityToken: c.securityToken,
  }).current;
  const endpoint = c.cmsEndpoint ?? `https://metrics.${c.region}.aliyuncs.com`;
  const cms = new CloudMonitorRules(credentials, endpoint);

  const desired = file.rules.map((r) => desiredRule(r, settings));
  const changes = planChanges(desired, await cms.describe(desired.map((d) => d.id)));
  out(`CloudMonitor ${c.region} at ${endpoint}, rules from ${values.file}\n`);
  if (command === 'plan') return (out(formatPlan(changes)), 0);

  const failed: string[] = [];
  const done = { created: 0, updated: 0, unchanged: 0 };
  for (const { rule, action, fields } of changes) {
    if (action === 'unchanged') {
      done.unchanged++;
      continue;
    }
    try {
      await cms.put(rule.api, rule.params);
      done[action === 'create' ? 'created' : 'updated']++;
      out(
        `${action === 'create' ? 'created' : 'updated'}  ${rule.id}${fields.length ? ` (${fields.map((f) => f.field).join(', ')})` : ''}\n`,
      );
    } catch (err) {
      failed.push(rule.id);
      out(`failed   ${rule.id}: ${(err as Error).message}\n`);
    }
  }
  out(
    `apply: ${done.created} created, ${done.updated} updated, ${done.unchanged} ` +
      `unchanged${failed.length ? `, ${failed.length} failed (${failed.join(', ')})` : ''}\n`,
  );
  return failed.length ? 1 : 0;
}
