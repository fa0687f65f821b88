/**
 * `npm run deploy:check` (s.yaml's pre-deploy action): refuses to deploy until every setting a
 * deploy needs is exported, naming each one that is missing or malformed. s.yaml renders them
 * empty when unset so that `npm start` and `s preview` run anywhere.
 */

interface Rule {
  name: string;
  what: string;
  pattern?: RegExp;
  /** Only checked when this holds. */
  when?: (env: NodeJS.ProcessEnv) => boolean;
}

const tencent = (env: NodeJS.ProcessEnv) => env.MKT_SMS_PROVIDER === 'tencent';

const RULES: Rule[] = [
  { name: 'MKT_REGION', what: 'the region to deploy to, e.g. cn-hangzhou', pattern: /^cn-[a-z]+(-[a-z0-9]+)?$/ },
  {
    name: 'MKT_OSS_BUCKET',
    what: 'the OSS bucket for raw events, datasets and models (same region)',
    pattern: /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
  },
  {
    name: 'MKT_FUNCTION_ROLE',
    what: 'the RAM role the functions run as, e.g. acs:ram::<account id>:role/mkt-functions',
    pattern: /^acs:ram::(?!0+:)\d{10,}:role\/[\w.-]+$/,
  },
  {
    name: 'MKT_ORT_LAYER_ARN',
    what: 'the onnxruntime layer printed by `npm run layer:publish`',
    pattern: /^acs:fc:[a-z0-9-]+:(?!0+:)\d{10,}:layers\/[\w-]+\/versions\/\d+$/,
  },
  {
    name: 'MKT_TRAIN_IMAGE',
    what: 'the training image pushed to ACR, e.g. registry.cn-hangzhou.aliyuncs.com/<namespace>/mkt-train:<tag>',
    pattern: /^[a-z0-9.-]+\.aliyuncs\.com\/[\w.-]+\/[\w.-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/,
  },
  { name: 'MKT_VPC_ID', what: 'the VPC of the Tair/Redis instance', pattern: /^vpc-[a-z0-9]+$/ },
  {
    name: 'MKT_VSWITCH_IDS',
    what: 'vSwitches of that VPC, comma-separated (one per zone for resilience)',
    pattern: /^vsw-[a-z0-9]+(,vsw-[a-z0-9]+)*$/,
  },
  {
    name: 'MKT_SECURITY_GROUP_ID',
    what: 'a security group of that VPC that lets the functions reach Tair on its port',
    pattern: /^sg-[a-z0-9]+$/,
  },
  { name: 'REDIS_URL', what: "the Tair/Redis instance's VPC address, redis://:<password>@<host>:6379", pattern: /^rediss?:\/\/.+/ },
  {
    name: 'MKT_PHONE_KEY',
    what: 'the key phone numbers are sealed with: 32 random bytes, base64 (openssl rand -base64 32); keep it, sealed numbers need it',
    pattern: /^[A-Za-z0-9+/]{43,}={0,2}$/,
  },
  {
    name: 'MKT_SMS_CALLBACK_TOKEN',
    what: "the token the SMS providers' callback URLs carry (sms-feedback): 24+ URL-safe characters (openssl rand -hex 24)",
    pattern: /^[A-Za-z0-9_-]{24,256}$/,
  },
  {
    name: 'MKT_APP_KEYS',
    what: 'the mini-programs as appId:secret pairs, comma-separated (not the demo key)',
    pattern: /^(?!.*demo-secret)[^:,\s]+:[^,\s]{8,}(,[^:,\s]+:[^,\s]{8,})*$/,
  },
  { name: 'TENCENT_SECRET_ID', what: 'Tencent Cloud SecretId (MKT_SMS_PROVIDER=tencent)', when: tencent },
  { name: 'TENCENT_SECRET_KEY', what: 'Tencent Cloud SecretKey (MKT_SMS_PROVIDER=tencent)', when: tencent },
  { name: 'TENCENT_SMS_APP_ID', what: 'Tencent SMS SdkAppId (MKT_SMS_PROVIDER=tencent)', when: tencent, pattern: /^\d+$/ },
];

/** What is wrong with the deploy settings in `env`, one line per setting; empty when a deploy may go ahead. */
export function deploySettingsProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  for (const rule of RULES) {
    if (rule.when && !rule.when(env)) continue;
    const value = env[rule.name];
    if (!value) problems.push(`${rule.name} is not set: ${rule.what}`);
    // Values are not echoed: some carry secrets.
    else if (rule.pattern && !rule.pattern.test(value)) problems.push(`${rule.name} is malformed: ${rule.what}`);
  }
  const region = env.MKT_REGION;
  const layerRegion = /^acs:fc:([a-z0-9-]+):/.exec(env.MKT_ORT_LAYER_ARN ?? '')?.[1];
  if (region && layerRegion && layerRegion !== region)
    problems.push(`MKT_ORT_LAYER_ARN is in ${layerRegion}, not MKT_REGION=${region}: publish the layer in the functions' region`);
  return problems;
}

if (require.main === module) {
  const problems = deploySettingsProblems(process.env);
  if (problems.length > 0) {
    process.stderr.write(
      `Not deploying: ${problems.length} deploy setting(s) missing or wrong (see ` +
        `docs/operations.md):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
    );
    process.exit(1);
  }
  process.stdout.write('deploy settings: all set\n');
}
