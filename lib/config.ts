/**
 * The platform's one configuration module: every setting comes from an environment
 * variable, is parsed and validated once, and a wrong value names the variable.
 * `.env.example` lists the same settings; a test keeps the two in step.
 */

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Parser<T> = (raw: string | undefined, name: string) => T;

const text =
  (fallback?: string): Parser<string> =>
  (raw, name) => {
    const value = raw === undefined || raw === '' ? fallback : raw;
    if (value === undefined) throw new Error(`${name} is required`);
    return value;
  };

const optional: Parser<string | undefined> = (raw) => (raw === undefined || raw === '' ? undefined : raw);

const integer =
  (fallback: number, min: number, max: number): Parser<number> =>
  (raw, name) => {
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    }
    return n;
  };

const oneOf =
  <T extends string>(choices: readonly T[], fallback: T): Parser<T> =>
  (raw, name) => {
    if (raw === undefined || raw === '') return fallback;
    if (!(choices as readonly string[]).includes(raw)) {
      throw new Error(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
    }
    return raw as T;
  };

const url =
  (...protocols: string[]): Parser<string | undefined> =>
  (raw, name) => {
    if (raw === undefined || raw === '') return undefined;
    let protocol = '';
    try {
      protocol = new URL(raw).protocol;
    } catch {
      // reported below
    }
    // The value is not echoed: a Redis URL may carry a password.
    if (!protocols.includes(protocol))
      throw new Error(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    return raw;
  };

const isoTime: Parser<number | undefined> = (raw, name) => {
  if (raw === undefined || raw === '') return undefined;
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(ms)) {
    throw new Error(`${name} must be an ISO time such as 2026-11-21T09:59:50+08:00, got "${raw}"`);
  }
  return ms;
};

const DEMO_SECRET = 'demo-secret';

/** `HH:MM-HH:MM` in Asia/Shanghai, e.g. `20:00-08:00` (across midnight); as minutes of the day. */
const quietHours: Parser<{ fromMin: number; toMin: number }> = (raw, name) => {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(raw === undefined || raw === '' ? '20:00-08:00' : raw);
  const [fh, fm, th, tm] = (m ?? []).slice(1).map(Number);
  if (!m || fh > 23 || th > 23 || fm > 59 || tm > 59)
    throw new Error(`${name} must be HH:MM-HH:MM in Asia/Shanghai, e.g. 20:00-08:00, got "${raw}"`);
  return { fromMin: fh * 60 + fm, toMin: th * 60 + tm };
};

/** Seconds, comma-separated (each 0 to 600, at most 5 of them), as milliseconds. */
const waits =
  (fallback: string): Parser<number[]> =>
  (raw, name) => {
    const text = raw === undefined || raw === '' ? fallback : raw;
    const seconds = text.split(',').map((s) => Number(s.trim()));
    if (seconds.length > 5 || !seconds.every((s) => Number.isInteger(s) && s >= 0 && s <= 600))
      throw new Error(`${name} must be up to 5 whole seconds from 0 to 600, comma-separated (e.g. 20,60,120), got "${raw}"`);
    return seconds.map((s) => s * 1000);
  };

/** A base64 secret of at least 32 bytes; the value is never echoed. */
const secretKey: Parser<Buffer | undefined> = (raw, name) => {
  if (raw === undefined || raw === '') return undefined;
  const key = Buffer.from(raw, 'base64');
  if (key.length < 32 || key.toString('base64').replace(/=+$/, '') !== raw.replace(/=+$/, ''))
    throw new Error(`${name} must be at least 32 random bytes, base64-encoded (openssl rand -base64 32)`);
  return key;
};
/** A secret that travels in a URL: 24+ URL-safe characters; the value is never echoed. */
const urlSecret: Parser<string | undefined> = (raw, name) => {
  if (raw === undefined || raw === '') return undefined;
  if (!/^[A-Za-z0-9_-]{24,256}$/.test(raw))
    throw new Error(`${name} must be 24-256 URL-safe characters (A-Z a-z 0-9 _ -), e.g. openssl rand -hex 24`);
  return raw;
};
/** The SMS callbacks' token in local runs only: anyone can read it here. */
const LOCAL_SMS_CALLBACK_TOKEN = 'local-sms-callback-token';

/** Seals phones in local runs only: anyone can read it here. */
const LOCAL_PHONE_KEY = Buffer.alloc(32, 'mkt-local-phone-key');

/** `appId:secret,appId:secret`: each app's server secrets; an app listed twice has two valid secrets (rotation), the first current. */
const appKeys: Parser<Record<string, string[]>> = (raw, name) => {
  const value = raw === undefined || raw === '' ? `demo:${DEMO_SECRET}` : raw;
  const keys: Record<string, string[]> = Object.create(null);
  for (const pair of value.split(',')) {
    const at = pair.indexOf(':');
    const appId = pair.slice(0, at).trim();
    const secret = pair.slice(at + 1).trim();
    if (at <= 0 || !appId || secret.length < 8) {
      throw new Error(`${name} must be appId:secret pairs separated by commas, secrets of 8+ characters`);
    }
    (keys[appId] ??= []).push(secret);
  }
  if (Object.values(keys).some((secrets) => secrets.length > 2))
    throw new Error(`${name} lists an app more than twice: keep the current secret and at most one being rotated out`);
  return keys;
};

/** Every setting: its variable name and how it is parsed. */
const spec = {
  port: ['PORT', integer(9000, 0, 65535)],
  logLevel: ['LOG_LEVEL', oneOf(['debug', 'info', 'warn', 'error'] as const, 'info')],
  now: ['MKT_NOW', isoTime],
  region: ['MKT_REGION', text('cn-hangzhou')],
  appKeys: ['MKT_APP_KEYS', appKeys],

  objectStore: ['MKT_OBJECT_STORE', oneOf(['local', 'oss'] as const, 'local')],
  localOssDir: ['LOCAL_OSS_DIR', text('.local/oss')],
  bucket: ['MKT_OSS_BUCKET', text('mkt-data')],
  ossRegion: ['MKT_OSS_REGION', text('oss-cn-hangzhou')],
  ossEndpoint: ['MKT_OSS_ENDPOINT', url('https:', 'http:')],
  ossInternal: ['MKT_OSS_INTERNAL', oneOf(['true', 'false'] as const, 'false')],

  featureStore: ['MKT_FEATURE_STORE', oneOf(['auto', 'memory', 'redis'] as const, 'auto')],
  redisUrl: ['REDIS_URL', url('redis:', 'rediss:')],
  redisPrefix: ['MKT_REDIS_PREFIX', text('mkt:')],
  journalDir: ['MKT_JOURNAL_DIR', text('.local/journal')],
  rateLimitPerMinute: ['MKT_RATE_LIMIT_PER_MIN', integer(6_000_000, 1, 1_000_000_000)],

  ingestFeatureBudgetMs: ['MKT_INGEST_FEATURE_BUDGET_MS', integer(300, 1, 10_000)],
  phoneKey: ['MKT_PHONE_KEY', secretKey],

  recommendBudgetMs: ['MKT_RECOMMEND_BUDGET_MS', integer(50, 5, 10_000)],
  featureBudgetMs: ['MKT_FEATURE_BUDGET_MS', integer(15, 1, 10_000)],
  demoteMessagedDays: ['MKT_DEMOTE_MESSAGED_DAYS', integer(3, 0, 30)],
  modelCheckS: ['MKT_MODEL_CHECK_S', integer(10, 1, 3600)],

  sms: ['MKT_SMS_PROVIDER', oneOf(['outbox', 'aliyun', 'tencent'] as const, 'outbox')],
  smsOutbox: ['MKT_SMS_OUTBOX', text('.local/sms-outbox.jsonl')],
  smsSignName: ['MKT_SMS_SIGN_NAME', text('智能营销')],
  smsQps: ['MKT_SMS_QPS', integer(50, 1, 1000)],
  smsPriceMilliYuan: ['MKT_SMS_PRICE_MILLI_YUAN', integer(45, 1, 10_000)],
  capPerDay: ['MKT_CAP_PER_DAY', integer(1, 1, 100)],
  capPerWeek: ['MKT_CAP_PER_WEEK', integer(3, 1, 1000)],
  quietHours: ['MKT_QUIET_HOURS', quietHours],
  campaignChunkSize: ['MKT_CAMPAIGN_CHUNK_SIZE', integer(50_000, 100, 10_000_000)],
  campaignLeaseS: ['MKT_CAMPAIGN_LEASE_S', integer(120, 5, 3600)],
  campaignDeferRetryMs: ['MKT_CAMPAIGN_DEFER_RETRY_S', waits('20,60,120')],
  fcEndpoint: ['MKT_FC_ENDPOINT', url('https:', 'http:')],
  aliyunSmsEndpoint: ['ALIYUN_SMS_ENDPOINT', text('https://dysmsapi.aliyuncs.com')],
  tencentSecretId: ['TENCENT_SECRET_ID', optional],
  tencentSecretKey: ['TENCENT_SECRET_KEY', optional],
  tencentSmsAppId: ['TENCENT_SMS_APP_ID', optional],
  tencentSmsRegion: ['TENCENT_SMS_REGION', text('ap-guangzhou')],
  tencentSmsEndpoint: ['TENCENT_SMS_ENDPOINT', text('sms.tencentcloudapi.com')],
  smsCallbackToken: ['MKT_SMS_CALLBACK_TOKEN', urlSecret],
  smsReconcileAfterMin: ['MKT_SMS_RECONCILE_AFTER_MIN', integer(30, 5, 1440)],

  metrics: ['MKT_METRICS', oneOf(['local', 'cloudmonitor'] as const, 'local')],
  metricsFile: ['MKT_METRICS_FILE', optional],
  cmsEndpoint: ['MKT_CMS_ENDPOINT', url('https:', 'http:')],
  cmsGroupId: ['MKT_CMS_GROUP_ID', text('0')],

  ortProvider: ['MKT_ORT_PROVIDER', oneOf(['cpu', 'cuda'] as const, 'cpu')],

  // Read by s.yaml at deploy time (scripts/deploySettings.ts checks them); listed so a shell that exports them can still run locally.
  ortLayerArn: ['MKT_ORT_LAYER_ARN', optional],
  trainImage: ['MKT_TRAIN_IMAGE', optional],
  functionRole: ['MKT_FUNCTION_ROLE', optional],
  vpcId: ['MKT_VPC_ID', optional],
  vSwitchIds: ['MKT_VSWITCH_IDS', optional],
  securityGroupId: ['MKT_SECURITY_GROUP_ID', optional],

  // Set by FC in every instance.
  fcFunctionName: ['FC_FUNCTION_NAME', optional],
  fcAccountId: ['FC_ACCOUNT_ID', optional],
  fcRegion: ['FC_REGION', optional],
  accessKeyId: ['ALIBABA_CLOUD_ACCESS_KEY_ID', optional],
  accessKeySecret: ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', optional],
  securityToken: ['ALIBABA_CLOUD_SECURITY_TOKEN', optional],
} as const;

type Spec = typeof spec;
export type Config = { [K in keyof Spec]: ReturnType<Spec[K][1]> };

/** Variable names the platform reads; `MKT_*` names outside this list are typos. */
export const configVariables: string[] = Object.values(spec).map(([name]) => name);

/** Parses and validates the whole configuration; throws one ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, [name, parse]] of Object.entries(spec)) {
    try {
      config[key] = (parse as Parser<unknown>)(env[name], name);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('MKT_') && !configVariables.includes(name)) problems.push(`${name} is not a known setting`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config) as Config;
}

/*
 * What a port needs beyond its own settings is asked for where the port is created, so each
 * function requires only what it uses (ingest and recommend the app keys, campaign its SMS
 * provider's settings, ...) and still fails at start, naming the variable.
 */

/** The apps' server secrets; on FC the demo key is refused. */
export function appKeysOf(c: Config): Record<string, string[]> {
  if (c.fcFunctionName && c.appKeys.demo?.includes(DEMO_SECRET)) {
    throw new ConfigError(['MKT_APP_KEYS must be set on Function Compute: the demo key is for local runs only']);
  }
  return c.appKeys;
}

/** The key phones are sealed with; on FC it must be set (and kept: records sealed with a lost key cannot be read). */
export function phoneKeyOf(c: Config): Buffer {
  if (c.phoneKey) return c.phoneKey;
  if (c.fcFunctionName)
    throw new ConfigError(['MKT_PHONE_KEY must be set on Function Compute: 32 random bytes, base64 (openssl rand -base64 32)']);
  return LOCAL_PHONE_KEY;
}

/** The secret the SMS providers' callback URLs carry (`?token=`); on FC it must be set. */
export function smsCallbackTokenOf(c: Config): string {
  if (c.smsCallbackToken) return c.smsCallbackToken;
  if (c.fcFunctionName)
    throw new ConfigError([
      'MKT_SMS_CALLBACK_TOKEN must be set on Function Compute: 24+ random URL-safe ' +
        'characters (openssl rand -hex 24), the token the SMS callback URLs carry',
    ]);
  return LOCAL_SMS_CALLBACK_TOKEN;
}

export function redisUrlOf(c: Config): string {
  if (!c.redisUrl) throw new ConfigError(['REDIS_URL is required when MKT_FEATURE_STORE=redis']);
  return c.redisUrl;
}

export function tencentSmsOf(c: Config): { secretId: string; secretKey: string; sdkAppId: string } {
  const missing = (
    [
      ['TENCENT_SECRET_ID', c.tencentSecretId],
      ['TENCENT_SECRET_KEY', c.tencentSecretKey],
      ['TENCENT_SMS_APP_ID', c.tencentSmsAppId],
    ] as const
  ).filter(([, value]) => !value);
  if (missing.length > 0) throw new ConfigError(missing.map(([name]) => `${name} is required when MKT_SMS_PROVIDER=tencent`));
  return { secretId: c.tencentSecretId!, secretKey: c.tencentSecretKey!, sdkAppId: c.tencentSmsAppId! };
}

/** Whether the stateful ports (features, event log) run on Redis rather than in-process / on local files. */
export const usesRedis = (c: Config): boolean => c.featureStore === 'redis' || (c.featureStore === 'auto' && c.redisUrl !== undefined);

let cached: Config | undefined;

/** The process's configuration, loaded on first use (module scope: once per FC instance). */
export function config(): Config {
  return (cached ??= loadConfig());
}
