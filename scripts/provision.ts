/**
 * `npm run provision -- [--dry-run] [--lead 15] [--hold 60] [--peak-target 20]`: sets the
 * reserved-instance targets of `recommend` ahead of the active campaigns that start at a fixed time
 * each day (their definitions in the object store), through
 * FC3's PutProvisionConfig with `@alicloud/fc20230330` (the 2.0 API that `@alicloud/fc2`
 * speaks has no service-less FC3 functions). `--dry-run` prints the request instead.
 */
import FC, { PutProvisionConfigInput, PutProvisionConfigRequest } from '@alicloud/fc20230330';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { config } from '#lib/config';
import { renderProject } from './local/project';
import { activeDefinitions } from '../functions/campaign/definitions/store';
import { objectStoreFrom } from '#lib/objectStore';
import { campaignTimes, peakPlan, type ProvisionConfig } from './lib/peakProvisioning';

const root = path.resolve(__dirname, '..');

async function main() {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      lead: { type: 'string', default: '15' },
      hold: { type: 'string', default: '60' },
      'peak-target': { type: 'string', default: '20' },
      function: { type: 'string', default: 'recommend' },
      qualifier: { type: 'string', default: 'LATEST' },
      endpoint: { type: 'string' },
    },
  });
  const minutes = (name: 'lead' | 'hold' | 'peak-target', max: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`--${name} must be an integer from 0 to ${max}`);
    return n;
  };
  const project = await renderProject(root);
  const target = project.functions.find((f) => f.props.functionName === values.function);
  if (!target) throw new Error(`s.yaml has no function named ${values.function}`);
  const base = target.props.provisionConfig as ProvisionConfig | undefined;
  if (!base) throw new Error(`${values.function} has no provisionConfig in s.yaml`);
  const campaigns = campaignTimes(await activeDefinitions(objectStoreFrom(config())));
  const plan = peakPlan(base, campaigns, {
    leadMinutes: minutes('lead', 720),
    holdMinutes: minutes('hold', 720),
    peakTarget: minutes('peak-target', 10_000),
  });
  const region = target.props.region ?? config().region;
  const endpoint = values.endpoint ?? `fcv3.${region}.aliyuncs.com`;

  if (values['dry-run']) {
    const url = `https://${endpoint}/2023-03-30/functions/${values.function}/provision-config?qualifier=${values.qualifier}`;
    process.stdout.write(`PUT ${url}\n${JSON.stringify(plan, null, 2)}\n`);
    return;
  }
  const result = await putProvisionConfig(endpoint, values.function!, values.qualifier!, plan);
  process.stdout.write(`${values.function}: ${JSON.stringify(result)}\n`);
}

export async function putProvisionConfig(endpoint: string, functionName: string, qualifier: string, plan: ProvisionConfig) {
  const c = config();
  if (!c.accessKeyId || !c.accessKeySecret)
    throw new Error('ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are required (or use --dry-run)');
  const local = /^(127\.0\.0\.1|localhost)(:\d+)?$/.test(endpoint);
  const client = new FC(
    new $OpenApiUtil.Config({
      accessKeyId: c.accessKeyId,
      accessKeySecret: c.accessKeySecret,
      securityToken: c.securityToken,
      endpoint,
      protocol: local ? 'http' : 'https',
    }),
  );
  const reply = await client.putProvisionConfig(
    functionName,
    new PutProvisionConfigRequest({ qualifier, body: new PutProvisionConfigInput(plan) }),
  );
  return reply.body;
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`provision: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
