import { readFileSync } from 'node:fs';
import path from 'node:path';
import { appKeysOf, type ConfigError, configVariables, loadConfig, redisUrlOf, tencentSmsOf } from '#lib/config';

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
};

describe('configuration', () => {
  it('runs on embedded defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 9000,
      objectStore: 'local',
      localOssDir: '.local/oss',
      featureStore: 'auto',
      sms: 'outbox',
      metrics: 'local',
    });
    expect(c.appKeys).toEqual({ demo: ['demo-secret'] });
    expect(c.redisUrl).toBeUndefined();
  });

  it('names the variable and the accepted values when a value is wrong', () => {
    expect(problemsOf({ PORT: 'abc' })).toEqual(['PORT must be an integer from 0 to 65535, got "abc"']);
    expect(problemsOf({ MKT_SMS_PROVIDER: 'twilio' })).toEqual(['MKT_SMS_PROVIDER must be one of outbox, aliyun, tencent, got "twilio"']);
    expect(problemsOf({ REDIS_URL: 'localhost:6379 ' })[0]).toMatch(/^REDIS_URL must be a URL/);
    expect(problemsOf({ MKT_NOW: 'tomorrow' })[0]).toMatch(/^MKT_NOW must be an ISO time/);
    expect(problemsOf({ MKT_APP_KEYS: 'demo' })[0]).toMatch(/^MKT_APP_KEYS must be appId:secret pairs/);
  });

  it('rejects unknown MKT_ settings, which are usually typos', () => {
    expect(problemsOf({ MKT_SMS_PROVIDR: 'aliyun' })).toEqual(['MKT_SMS_PROVIDR is not a known setting']);
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ PORT: '-1', MKT_METRICS: 'x', MKT_TYPO: '1' })).toHaveLength(3);
  });

  it('leaves what only some functions use to the ports that use it', () => {
    expect(
      problemsOf({ MKT_OBJECT_STORE: 'oss', MKT_SMS_PROVIDER: 'tencent', MKT_FEATURE_STORE: 'redis', FC_FUNCTION_NAME: 'compact' }),
    ).toEqual([]);
  });

  it('refuses the demo app key on FC, and lets a function ask only for what it uses', () => {
    expect(() => appKeysOf(loadConfig({ FC_FUNCTION_NAME: 'ingest' }))).toThrow('MKT_APP_KEYS must be set on Function Compute');
    expect(appKeysOf(loadConfig({ FC_FUNCTION_NAME: 'ingest', MKT_APP_KEYS: 'shop:0123456789abcdef' }))).toEqual({
      shop: ['0123456789abcdef'],
    });
    expect(appKeysOf(loadConfig({}))).toEqual({ demo: ['demo-secret'] });
    expect(loadConfig({ MKT_APP_KEYS: 'shop:new-secret-1,shop:old-secret-0,b2:bbbbbbbb' }).appKeys).toEqual({
      shop: ['new-secret-1', 'old-secret-0'],
      b2: ['bbbbbbbb'],
    });
    expect(problemsOf({ MKT_APP_KEYS: 'a:11111111,a:22222222,a:33333333' })[0]).toMatch(/lists an app more than twice/);
    expect(() => redisUrlOf(loadConfig({ MKT_FEATURE_STORE: 'redis' }))).toThrow('REDIS_URL is required when MKT_FEATURE_STORE=redis');
    expect(() => tencentSmsOf(loadConfig({ MKT_SMS_PROVIDER: 'tencent', TENCENT_SECRET_ID: 'id' }))).toThrow(
      /TENCENT_SECRET_KEY is required when MKT_SMS_PROVIDER=tencent\n.*TENCENT_SMS_APP_ID is required/,
    );
  });

  it('asks for cloud credentials when a cloud adapter is created', () => {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { objectStoreFrom } = require('#lib/objectStore') as typeof import('#lib/objectStore');
      expect(() => objectStoreFrom(loadConfig({ MKT_OBJECT_STORE: 'oss' }))).toThrow(
        /ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are required/,
      );
    });
  });

  it('.env.example documents exactly the variables the platform reads', () => {
    const example = readFileSync(path.join(__dirname, '../../.env.example'), 'utf8');
    const documented = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect([...new Set(documented)].sort()).toEqual([...configVariables].sort());
  });
});
