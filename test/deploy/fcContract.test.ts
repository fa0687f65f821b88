/**
 * The deploy contract: every function, built as `s deploy` uploads it, started the way FC
 * starts an instance from its rendered s.yaml alone (exactly its `environmentVariables`
 * plus FC's own variables), must start and answer each call FC makes: event functions
 * `handler(Buffer, context)`; custom runtimes and the train container their command on the
 * CAPort with `/initialize`, `/invoke`, an HTTP path and `/pre-stop`. The clouds are wire
 * fakes that check signatures (OSS, CloudMonitor); Redis is the real one under a test prefix.
 * The role's STS credentials rotate between calls, and the fakes must see the new key.
 */
import Redis from 'ioredis';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { signRequest } from '#lib/auth';
import { RedisContactLedger } from '#lib/contacts/redisLedger';
import { decodeRawObject } from '#lib/events/rawLog';
import { renderProject, type FunctionSpec, type RenderedProject } from '../../scripts/local/project';
import { deploySettingsProblems } from '../../scripts/deploySettings';
import { putCustomMetricAction, startAlibabaRpcFake, TEST_STS } from '../wire/alibabaRpc';
import { startOssFake, type OssFake } from '../wire/oss';
import { startInstance, type FcInstance } from './fcInstance';

const root = path.resolve(__dirname, '../..');
const events = (name: string) => readFileSync(path.join(root, 'test/fixtures/fc3/events', name));
const [startKeys, rotatedKeys] = TEST_STS;
const BUCKET = 'mkt-contract';
const PREFIX = `mkt-contract-${process.pid}:`;
const APP = { id: 'shop', secret: 'contract-secret-0123' };
const SMS_CALLBACK_TOKEN = 'contract-callback-token-0123456789';

let oss: OssFake;
let cms: Awaited<ReturnType<typeof startAlibabaRpcFake>>;
let project: RenderedProject;
const running: FcInstance[] = [];

/** What an operator exports before `s deploy`, with the clouds pointed at the fakes. */
const deployEnv = () => ({
  PATH: process.env.PATH,
  MKT_REGION: 'cn-hangzhou',
  MKT_OSS_BUCKET: BUCKET,
  MKT_OSS_ENDPOINT: oss.url,
  MKT_CMS_ENDPOINT: cms.url,
  REDIS_URL: 'redis://127.0.0.1:6379',
  MKT_REDIS_PREFIX: PREFIX,
  MKT_APP_KEYS: `${APP.id}:${APP.secret}`,
  MKT_PHONE_KEY: Buffer.alloc(32, 9).toString('base64'),
  MKT_SMS_CALLBACK_TOKEN: SMS_CALLBACK_TOKEN,
  MKT_FUNCTION_ROLE: 'acs:ram::1234567890123456:role/mkt-functions',
  MKT_ORT_LAYER_ARN: 'acs:fc:cn-hangzhou:1234567890123456:layers/onnxruntime-node-linux-x64/versions/3',
  MKT_TRAIN_IMAGE: 'registry.cn-hangzhou.aliyuncs.com/mkt/mkt-train:v1',
  MKT_VPC_ID: 'vpc-bp1contract',
  MKT_VSWITCH_IDS: 'vsw-bp1a,vsw-bp1b',
  MKT_SECURITY_GROUP_ID: 'sg-bp1contract',
});

const fn = (name: string): FunctionSpec => project.functions.find((f) => f.props.functionName === name)!;
const start = async (name: string) => {
  const instance = await startInstance(fn(name), startKeys);
  running.push(instance);
  return instance;
};
const cmsKeyIds = () => cms.calls.map((c) => c.AccessKeyId);
const ossKeyIds = () => oss.received.map((r) => /^OSS ([^:]+):/.exec(String(r.headers.authorization))?.[1]);

beforeAll(async () => {
  oss = await startOssFake(BUCKET);
  cms = await startAlibabaRpcFake('2019-01-01', { PutCustomMetric: putCustomMetricAction });
  expect(deploySettingsProblems(deployEnv())).toEqual([]);
  project = await renderProject(root, 's.yaml', deployEnv());
});

afterAll(async () => {
  await Promise.all(running.map((i) => i.stop()));
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await Promise.all([oss.close(), cms.close()]);
});

describe('every function under its rendered s.yaml, as FC runs it', () => {
  it('ingest: a custom runtime on the CAPort stores a signed batch and signs its metrics with the rotated key', async () => {
    const ingest = await start('ingest');
    expect((await ingest.request('POST', '/initialize', { controlPath: '/initialize' })).status).toBe(200);
    const invoked = await ingest.invoke(Buffer.from('{}'));
    expect(invoked).toMatchObject({ ok: true, result: { ok: true, features: expect.stringContaining('redis') } });

    const body = JSON.stringify({ events: [{ event_id: 'contract-1', type: 'click', user_id: 'u1', ts: Date.now(), item_id: 'sku-1' }] });
    const reply = await ingest.request('POST', '/v1/events', {
      headers: { 'content-type': 'application/json', ...signRequest(APP.id, APP.secret, 'POST', '/v1/events', body) },
      body,
      credentials: rotatedKeys,
    });
    expect({ status: reply.status, body: JSON.parse(reply.body) }).toEqual({
      status: 200,
      body: { accepted: 1, duplicates: 0, rejected: [] },
    });
    expect((await ingest.request('GET', '/pre-stop', { controlPath: '/pre-stop' })).status).toBe(200);
    expect(cmsKeyIds()).toContain(rotatedKeys.accessKeyId);
  });

  it('compact: an event function flushes what ingest stored into OSS, signing with the credentials of each invocation', async () => {
    const compact = await start('compact');
    const tick = Buffer.from(
      JSON.stringify({ triggerTime: new Date().toISOString(), triggerName: 'every-minute', payload: '{"job":"flush"}' }),
    );
    const first = await compact.invoke(tick, startKeys);
    expect(first).toMatchObject({ ok: true, result: { entries: 1, events: 1 } });
    const [key] = (first.result as { objects: string[] }).objects;
    expect(decodeRawObject(oss.objects.get(key)!.body).map((e) => e.event_id)).toEqual(['contract-1']);
    expect(ossKeyIds().at(-1)).toBe(startKeys.accessKeyId);

    const calls = cms.calls.length;
    expect(await compact.invoke(tick, rotatedKeys)).toMatchObject({ ok: true, result: { entries: 0 } });
    expect(cms.calls.slice(calls).map((c) => c.AccessKeyId)).toEqual([rotatedKeys.accessKeyId]);
  });

  it('recommend: a custom runtime with an initializer answers a signed request (no model yet: trending)', async () => {
    const recommend = await start('recommend');
    expect((await recommend.request('POST', '/initialize', { controlPath: '/initialize' })).status).toBe(200);
    expect(await recommend.invoke(Buffer.from(''))).toMatchObject({ ok: true, result: { ok: true, model_version: null } });
    const reply = await recommend.request('GET', '/v1/recommend?user_id=u1&n=5', {
      headers: { ...signRequest(APP.id, APP.secret, 'GET', '/v1/recommend?user_id=u1&n=5', '') },
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ fallback: 'no_model', model_version: null });
    expect((await recommend.request('GET', '/pre-stop', { controlPath: '/pre-stop' })).status).toBe(200);
  });

  it('train: the container command answers timer and OSS events; what a retry cannot fix is an outcome, not a failure', async () => {
    const train = await start('train');
    expect((await train.request('POST', '/initialize', { controlPath: '/initialize' })).status).toBe(200);
    const daily = Buffer.from(JSON.stringify({ triggerTime: new Date().toISOString(), triggerName: 'daily', payload: '{"job":"daily"}' }));
    const scheduled = await train.invoke(daily);
    expect(scheduled).toMatchObject({
      ok: true,
      result: [
        { model: 'ease', skipped: expect.any(String) },
        { model: 'propensity', skipped: expect.any(String) },
        { model: 'uplift', skipped: expect.any(String) },
      ],
    });

    oss.objects.set('datasets/broken.rating', {
      body: Buffer.from('not an interaction file\n'),
      etag: 'E',
      lastModified: new Date().toUTCString(),
    });
    const upload = JSON.parse(events('oss.json').toString());
    upload.events[0].oss.bucket.name = BUCKET;
    upload.events[0].oss.object.key = 'datasets/broken.rating';
    const uploaded = await train.invoke(Buffer.from(JSON.stringify(upload)));
    expect(uploaded).toMatchObject({
      ok: true,
      result: [{ model: 'ease', dataset: 'datasets/broken.rating', skipped: expect.stringContaining('expected user<TAB>item') }],
    });
    // OSS down: the invocation fails (FC retries it) and its log line says where, in TypeScript (source maps are on).
    oss.failWith(500);
    expect(await train.invoke(daily)).toMatchObject({ ok: false, result: { errorCode: 'object_store_unavailable' } });
    oss.failWith(undefined);
    const failure = train
      .output()
      .split('\n')
      .find((l) => l.includes('"invocation failed"'));
    expect(JSON.parse(failure!).err.stack.join('\n')).toMatch(/lib\/objectStore\/ossStore\.ts:\d+/);
    expect((await train.request('GET', '/pre-stop', { controlPath: '/pre-stop' })).status).toBe(200);
    // MKT_ORT_PROVIDER=cuda: the provider actually in use is logged at start (the CPU here, with a warning).
    expect(train.output()).toMatch(/"msg":"(CUDA execution provider unavailable; models run on the CPU|onnxruntime execution provider)"/);
  });

  it('campaign: an event function runs its minute timer (no campaign yet), and imports an uploaded profile file into Redis', async () => {
    const campaign = await start('campaign');
    const timer = fn('campaign').props.triggers!.find((t) => t.triggerType === 'timer')!;
    const tick = Buffer.from(
      JSON.stringify({ triggerTime: '2026-11-30T02:00:00Z', triggerName: timer.triggerName, payload: timer.triggerConfig.payload }),
    );
    expect(await campaign.invoke(tick, startKeys)).toMatchObject({ ok: true, result: [] });

    oss.objects.set('imports/profiles/shop.csv', {
      body: Buffer.from('user_id,phone,consent_granted\nc1,13812345678,true\nc2,123,true\n'),
      etag: 'E',
      lastModified: new Date().toUTCString(),
    });
    const upload = JSON.parse(events('oss.json').toString());
    upload.events[0].oss.bucket.name = BUCKET;
    upload.events[0].oss.object.key = 'imports/profiles/shop.csv';
    expect(await campaign.invoke(Buffer.from(JSON.stringify(upload)), startKeys)).toMatchObject({
      ok: true,
      result: [{ rows: 2, accepted: 1, rejected: 1, report: 'imports/profiles/shop.csv.errors.jsonl' }],
    });
    const redis = new Redis('redis://127.0.0.1:6379');
    const stored = await redis.get(`${PREFIX}profile:{c1}`);
    await redis.quit();
    expect(JSON.parse(stored!)).toMatchObject({ userId: 'c1', consentSms: { granted: true } });
    expect(stored).not.toMatch(/13812345678|12345678/);
  });

  it(
    "sms-feedback: an event function takes the providers' pushes on " + 'its HTTP trigger (token checked) and reconciles on its timer',
    async () => {
      const feedback = await start('sms-feedback');
      const ledger = new RedisContactLedger({ url: 'redis://127.0.0.1:6379', prefix: PREFIX });
      const run = 'contract@2026-11-30T02:00:00.000Z';
      // c1 (13812345678) is the profile the campaign test above imported.
      try {
        await ledger.claim(run, ['c1'], Date.now());
        const push = (urlPath: string, body: unknown, token = SMS_CALLBACK_TOKEN) => {
          const event = JSON.parse(events('http.json').toString());
          Object.assign(event, {
            rawPath: urlPath,
            queryParameters: { token },
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
            isBase64Encoded: false,
          });
          event.requestContext.http.path = urlPath;
          return feedback.invoke(Buffer.from(JSON.stringify(event)), startKeys);
        };
        const report = [
          {
            phone_number: '13812345678',
            send_time: '2026-11-30 10:00:01',
            report_time: '2026-11-30 10:00:05',
            success: true,
            err_code: 'DELIVERED',
            err_msg: '用户接收成功',
            sms_size: '1',
            biz_id: 'b1',
            out_id: `${run}|c1`,
          },
        ];
        expect(await push('/sms/aliyun/report', report, 'not-the-token-0123456789abcd')).toEqual({
          ok: true,
          result: { statusCode: 401, body: '' },
        });
        const taken = (await push('/sms/aliyun/report', report)) as { ok: boolean; result: { statusCode: number; body: string } };
        expect({ ok: taken.ok, statusCode: taken.result.statusCode, body: JSON.parse(taken.result.body) }).toEqual({
          ok: true,
          statusCode: 200,
          body: { code: 0, msg: '接收成功' },
        });
        expect(await ledger.deliveriesOf(run, ['c1'])).toEqual([
          expect.objectContaining({ outcome: 'delivered', code: 'DELIVERED', via: 'receipt' }),
        ]);

        // A reply after the import's consent statement (a later statement wins; Tencent times replies in seconds).
        const reply = (await push('/sms/tencent/reply', {
          extend: '',
          mobile: '13812345678',
          nationcode: '86',
          sign: '示例商城',
          text: 'TD',
          time: Math.ceil(Date.now() / 1000) + 1,
        })) as { result: { body: string } };
        expect(JSON.parse(reply.result.body)).toEqual({ result: 0, errmsg: 'OK' });
        const redis = new Redis('redis://127.0.0.1:6379');
        const stored = JSON.parse((await redis.get(`${PREFIX}profile:{c1}`))!);
        await redis.quit();
        expect(stored.consentSms).toMatchObject({ granted: false, source: 'reply:TD', evidence: { provider: 'tencent', text: 'TD' } });

        const timer = fn('sms-feedback').props.triggers!.find((t) => t.triggerType === 'timer')!;
        const tick = Buffer.from(
          JSON.stringify({ triggerTime: new Date().toISOString(), triggerName: timer.triggerName, payload: timer.triggerConfig.payload }),
        );
        expect(await feedback.invoke(tick, rotatedKeys)).toMatchObject({ ok: true, result: { runs: 0, open: 0 } });
      } finally {
        await ledger.close();
      }
    },
  );
});

it('every instance logged only JSON lines, one object each', () => {
  const lines = running.flatMap((i) =>
    i
      .output()
      .split('\n')
      .filter((l) => l.trim() !== ''),
  );
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.filter((l) => !/^\{.*\}$/.test(l) || typeof JSON.parse(l) !== 'object')).toEqual([]);
});
