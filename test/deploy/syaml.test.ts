/**
 * s.yaml as `s deploy` will see it: rendered by the real Serverless Devs CLI, every fc3
 * resource validated against the fc3 component's published schema, and every code path
 * and handler it names present in the build (test/globalSetup.ts runs it).
 */
import Ajv from 'ajv';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CAMPAIGN_DEFINITIONS_PREFIX, DATASET_PREFIX, PROFILE_IMPORT_PREFIX } from '#lib/objectStore/keys';
import { deploySettingsProblems } from '../../scripts/deploySettings';
import { codeDir, renderProject, type FunctionSpec, type RenderedProject } from '../../scripts/local/project';

const root = path.resolve(__dirname, '../..');
const schema = JSON.parse(readFileSync(path.join(root, 'test/fixtures/fc3/schema.json'), 'utf8'));

let project: RenderedProject;
const fn = (name: string): FunctionSpec => project.functions.find((f) => f.props.functionName === name)!;

/** Every export a first deploy needs (the README's quick start lists the same). */
const deployEnv = {
  PATH: process.env.PATH,
  MKT_REGION: 'cn-shanghai',
  MKT_OSS_BUCKET: 'shop-mkt-data',
  MKT_FUNCTION_ROLE: 'acs:ram::1234567890123456:role/mkt-functions',
  MKT_ORT_LAYER_ARN: 'acs:fc:cn-shanghai:1234567890123456:layers/onnxruntime-node-linux-x64/versions/1',
  MKT_TRAIN_IMAGE: 'registry.cn-shanghai.aliyuncs.com/shop/mkt-train:v1',
  MKT_VPC_ID: 'vpc-uf6a',
  MKT_VSWITCH_IDS: 'vsw-uf6a,vsw-uf6b',
  MKT_SECURITY_GROUP_ID: 'sg-uf6a',
  REDIS_URL: 'redis://:pw@r-uf6a.redis.rds.aliyuncs.com:6379',
  MKT_APP_KEYS: 'shop:0123456789abcdef',
  MKT_PHONE_KEY: Buffer.alloc(32, 9).toString('base64'),
  MKT_SMS_CALLBACK_TOKEN: 'a'.repeat(48),
  MKT_SMS_PROVIDER: 'tencent',
  TENCENT_SECRET_ID: 'AKIDtest',
  TENCENT_SECRET_KEY: 'tencent-test-key',
  TENCENT_SMS_APP_ID: '1400000000',
};

beforeAll(async () => {
  project = await renderProject(root, 's.yaml', deployEnv);
});

describe('s.yaml', () => {
  it('declares ingest, compact, recommend, train, campaign and sms-feedback', () => {
    expect(project.functions.map((f) => f.props.functionName).sort()).toEqual([
      'campaign',
      'compact',
      'ingest',
      'recommend',
      'sms-feedback',
      'train',
    ]);
  });

  it('validates every fc3 resource against the published fc3 schema (draft-07)', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    for (const f of project.functions) {
      const ok = validate(f.props);
      expect({ fn: f.props.functionName, errors: ok ? [] : validate.errors }).toEqual({ fn: f.props.functionName, errors: [] });
    }
  });

  it('the schema check itself catches a broken resource', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate({ ...fn('train').props, gpuConfig: { gpuType: 'fc.gpu.tesla.1', gpuMemorySize: 1000 } })).toBe(false);
    expect(validate({ ...fn('campaign').props, handler: undefined })).toBe(false);
  });

  it('points every code path and handler at files the build produced', () => {
    for (const f of project.functions) {
      const dir = codeDir(root, f);
      const p = f.props as { customRuntimeConfig?: { args?: string[] }; customContainerConfig?: { command?: string[] } };
      const entry =
        p.customRuntimeConfig?.args?.find((a) => a.endsWith('.js')) ??
        path.basename(p.customContainerConfig?.command?.at(-1) ?? `${(f.props.handler ?? '').split('.')[0]}.js`);
      expect(existsSync(path.join(dir, entry))).toBe(true);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(dir, entry)) as Record<string, unknown>;
      if (f.props.runtime.startsWith('custom')) expect(typeof mod.requestListener).toBe('function');
      else expect(typeof mod[f.props.handler!.split('.').pop()!]).toBe('function');
    }
  });

  it("keeps recommend's model thread to the model: no SDKs in its bundle (it starts, and is replaced, on the hot path)", () => {
    expect(statSync(path.join(codeDir(root, fn('recommend')), 'scorer.thread.js')).size).toBeLessThan(64 * 1024);
  });

  it('gives ingest an HTTP trigger and several requests per instance (custom runtime)', () => {
    const ingest = fn('ingest').props as FunctionSpec['props'] & { instanceConcurrency: number };
    expect(ingest.runtime).toMatch(/^custom\./);
    expect(ingest.instanceConcurrency).toBeGreaterThan(1);
    expect(ingest.triggers?.map((t) => t.triggerType)).toEqual(['http']);
  });

  it('gives recommend reserved instances with scheduled peaks, target tracking and an initializer', () => {
    const props = fn('recommend').props as FunctionSpec['props'] & {
      provisionConfig: { scheduledActions: unknown[]; targetTrackingPolicies: unknown[] };
    };
    expect(props.provisionConfig.scheduledActions.length).toBeGreaterThan(0);
    expect(props.provisionConfig.targetTrackingPolicies.length).toBeGreaterThan(0);
    expect(props.instanceLifecycleConfig?.initializer).toBeDefined();
  });

  it('runs train on a GPU in a custom container, on dataset uploads and a daily timer', () => {
    const props = fn('train').props as FunctionSpec['props'] & { gpuConfig: { gpuType: string } };
    expect(props.runtime).toBe('custom-container');
    expect(props.gpuConfig.gpuType).toMatch(/^fc\.gpu\./);
    expect(props.triggers?.map((t) => t.triggerType).sort()).toEqual(['oss', 'timer']);
    expect(existsSync(path.join(root, 'functions/train/Dockerfile'))).toBe(true);
  });

  it('fires each OSS trigger on the upload prefix the code reads (lib/objectStore/keys.ts)', () => {
    const prefixes = project.functions.flatMap((f) =>
      (f.props.triggers ?? [])
        .filter((t) => t.triggerType === 'oss')
        .map((t) => [
          `${f.props.functionName}:${t.triggerName}`,
          (t.triggerConfig as { filter: { key: { prefix: string } } }).filter.key.prefix,
        ]),
    );
    expect(Object.fromEntries(prefixes)).toEqual({
      'train:dataset-upload': DATASET_PREFIX,
      'campaign:profile-import': PROFILE_IMPORT_PREFIX,
      'campaign:definitions': CAMPAIGN_DEFINITIONS_PREFIX,
    });
  });

  it('schedules campaigns in Beijing time', () => {
    const timers = (fn('campaign').props.triggers ?? []).filter((t) => t.triggerType === 'timer');
    expect(timers.length).toBeGreaterThan(0);
    for (const t of timers) expect(String(t.triggerConfig.cronExpression)).toMatch(/^CRON_TZ=Asia\/Shanghai /);
  });

  it('puts every function that uses Redis in the VPC from the settings, and the others outside it', () => {
    const vpc = { vpcId: 'vpc-uf6a', vSwitchIds: ['vsw-uf6a', 'vsw-uf6b'], securityGroupId: 'sg-uf6a' };
    const usesRedis = (f: FunctionSpec) => f.props.environmentVariables?.MKT_FEATURE_STORE === 'redis';
    expect(
      project.functions
        .filter(usesRedis)
        .map((f) => f.props.functionName)
        .sort(),
    ).toEqual(['campaign', 'compact', 'ingest', 'recommend', 'sms-feedback', 'train']);
    for (const f of project.functions)
      expect({ fn: f.props.functionName, vpc: f.props.vpcConfig }).toEqual({
        fn: f.props.functionName,
        vpc: usesRedis(f) ? vpc : undefined,
      });
  });

  it(
    'gives each function only the settings it reads: app keys to ingest ' +
      'and recommend, SMS to campaign and sms-feedback, CUDA to train',
    () => {
      const env = (name: string) => Object.keys(fn(name).props.environmentVariables ?? {});
      expect(
        project.functions
          .filter((f) => env(f.props.functionName).includes('MKT_APP_KEYS'))
          .map((f) => f.props.functionName)
          .sort(),
      ).toEqual(['ingest', 'recommend']);
      expect(env('campaign')).toEqual(
        expect.arrayContaining(['MKT_SMS_PROVIDER', 'TENCENT_SECRET_ID', 'TENCENT_SECRET_KEY', 'TENCENT_SMS_APP_ID', 'TENCENT_SMS_REGION']),
      );
      expect(
        project.functions.filter((f) => env(f.props.functionName).some((k) => k.startsWith('TENCENT_'))).map((f) => f.props.functionName),
      ).toEqual(['campaign', 'sms-feedback']);
      expect(
        project.functions.filter((f) => env(f.props.functionName).includes('MKT_SMS_CALLBACK_TOKEN')).map((f) => f.props.functionName),
      ).toEqual(['sms-feedback']);
      expect(fn('train').props.environmentVariables).toMatchObject({ MKT_ORT_PROVIDER: 'cuda' });
      expect(env('ingest')).not.toContain('MKT_OBJECT_STORE');
      expect(env('train')).toContain('REDIS_URL');
    },
  );

  it('lets the fc3 component create the OSS trigger role instead of naming one', () => {
    const trigger = fn('train').props.triggers!.find((t) => t.triggerType === 'oss')!;
    expect(trigger).not.toHaveProperty('invocationRole');
    expect(trigger.sourceArn).toMatch(/^acs:oss:cn-shanghai:[^:]*:shop-mkt-data$/);
  });

  it('refuses to deploy until every setting is set, naming each missing one, and never defaults to a placeholder account', () => {
    expect(deploySettingsProblems(deployEnv)).toEqual([]);
    expect(deploySettingsProblems({ ...deployEnv, MKT_FUNCTION_ROLE: undefined, MKT_VPC_ID: '' })).toEqual([
      expect.stringMatching(/^MKT_FUNCTION_ROLE is not set: /),
      expect.stringMatching(/^MKT_VPC_ID is not set: /),
    ]);
    expect(deploySettingsProblems({ ...deployEnv, MKT_FUNCTION_ROLE: 'acs:ram::000000000000:role/mkt-functions' })).toEqual([
      expect.stringMatching(/^MKT_FUNCTION_ROLE is malformed/),
    ]);
    expect(deploySettingsProblems({ ...deployEnv, TENCENT_SECRET_KEY: '' })).toEqual([
      expect.stringMatching(/^TENCENT_SECRET_KEY is not set/),
    ]);
    expect(deploySettingsProblems({ ...deployEnv, MKT_SMS_CALLBACK_TOKEN: 'short' })).toEqual([
      expect.stringMatching(/^MKT_SMS_CALLBACK_TOKEN is malformed/),
    ]);
    expect(
      deploySettingsProblems({ ...deployEnv, MKT_ORT_LAYER_ARN: deployEnv.MKT_ORT_LAYER_ARN.replace('cn-shanghai', 'cn-hangzhou') }),
    ).toEqual([expect.stringMatching(/publish the layer in the functions' region/)]);
    expect(readFileSync(path.join(root, 's.yaml'), 'utf8')).not.toMatch(/0{12}/);
  });

  it('gives every function whose bundle loads onnxruntime-node the layer that provides it (train: its image)', () => {
    for (const f of project.functions) {
      const loadsOrt = readFileSync(path.join(codeDir(root, f), 'index.js'), 'utf8').includes('require("onnxruntime-node")');
      const provided =
        f.props.runtime === 'custom-container' || ((f.props.layers as string[] | undefined) ?? []).includes(deployEnv.MKT_ORT_LAYER_ARN);
      expect({ fn: f.props.functionName, loadsOrt, provided: loadsOrt && provided }).toEqual({
        fn: f.props.functionName,
        loadsOrt,
        provided: loadsOrt,
      });
    }
  });

  it('runs every function with source maps, and the build ships them', () => {
    for (const f of project.functions) {
      expect({ fn: f.props.functionName, options: f.props.environmentVariables?.NODE_OPTIONS }).toEqual({
        fn: f.props.functionName,
        options: '--enable-source-maps',
      });
      expect(existsSync(path.join(codeDir(root, f), 'index.js.map'))).toBe(true);
    }
  });

  it('holds no secret', () => {
    const text = readFileSync(path.join(root, 's.yaml'), 'utf8');
    expect(text).not.toMatch(/LTAI[0-9A-Za-z]{8,}|AKID[0-9A-Za-z]{8,}|(secret|password)\s*:\s*['"]?\w/i);
  });
});
