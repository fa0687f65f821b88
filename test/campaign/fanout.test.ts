/**
 * A large run fanned out over chunk workers through FC3's API: the real `@alicloud/fc20230330`
 * client against a wire fake that checks FC's signature and refuses a task id submitted twice;
 * the submitted chunks then run as FC runs them (more than once, and at once), on the real
 * Redis ledger, against Alibaba SMS's real client and its wire fake. Everyone is decided once
 * and sent at most one SMS.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chunkCountFor, chunkOf, chunkTaskOf, MAX_CHUNKS, type Fanout } from '../../functions/campaign/chunks';
import { parseDefinition, type CampaignDefinition } from '../../functions/campaign/definitions/definition';
import { registerDefinition } from '../../functions/campaign/definitions/store';
import { runOne, type CampaignDeps } from '../../functions/campaign/runOne';
import { runDue } from '../../functions/campaign/timer';
import { RedisContactLedger } from '#lib/contacts/redisLedger';
import { FcApiInvoker } from '#lib/fanout/fcApi';
import { MAX_ASYNC_PAYLOAD_BYTES } from '#lib/fanout';
import { decodeInvocation } from '#lib/fc/decode';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { PhoneVault, ProfileBook } from '#lib/profiles';
import { MemoryProfileStore } from '#lib/profiles/memoryStore';
import { PROFILE_PARTS } from '#lib/profiles/port';
import { AliyunSmsSender } from '#lib/sms/aliyunSms';
import { onTestPrefix } from '../contract/redisTestPrefix';
import { sendBatchSmsAction, startAlibabaRpcFake, TEST_AK, type SendBatchSmsAction } from '../wire/alibabaRpc';
import { startFc3Fake, type Fc3Fake } from '../wire/fc3Api';
import type { HttpFake } from '../wire/httpFake';
import { campaignYaml } from '../fixtures/campaign';

const MORNING = Date.parse('2026-11-30T10:00:00+08:00');
const PEOPLE = 2500;

const DEFINITION = campaignYaml({ id: 'big', name: 'big', budget: '{ messages: 100000 }' });

let sms: HttpFake;
let action: SendBatchSmsAction;
let fc: Fc3Fake;
let redis: ReturnType<typeof onTestPrefix<RedisContactLedger>>;
let deps: CampaignDeps & { fanout: Fanout };
let clock: number;

beforeEach(async () => {
  action = sendBatchSmsAction();
  sms = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: action });
  fc = await startFc3Fake({ [TEST_AK.accessKeyId]: TEST_AK.accessKeySecret }, ['campaign']);
  redis = onTestPrefix((url, prefix) => new RedisContactLedger({ url, prefix }));
  clock = MORNING;
  const profiles = new ProfileBook(new MemoryProfileStore(), new PhoneVault(Buffer.alloc(32, 3)));
  await profiles.upsert(
    Array.from({ length: PEOPLE }, (_, i) => ({
      userId: `u${i}`,
      phone: `+86137${String(i).padStart(7, '0')}5`,
      consentSms: { granted: true, at: 1, source: 'test' },
      tags: ['member'],
      attributes: { nickname: `客${i}` },
    })),
  );
  const objects = new LocalObjectStore(mkdtempSync(path.join(os.tmpdir(), 'fanout-')), 'mkt-data');
  deps = {
    objects,
    features: new MemoryFeatureStore(() => clock),
    profiles,
    ledger: redis.adapter,
    sms: new AliyunSmsSender({ credentials: () => TEST_AK, signName: '示例商城', endpoint: sms.url }),
    policy: { caps: { perDay: 5, perWeek: 10 }, quiet: { fromMin: 20 * 60, toMin: 8 * 60 }, qps: 1000, priceMilliYuan: 45 },
    clock: () => clock,
    logger: createLogger({}, () => undefined),
    pageSize: 200,
    fanout: {
      invoker: new FcApiInvoker({ endpoint: new URL(fc.url), credentials: () => TEST_AK }),
      functionName: 'campaign',
      chunkSize: 1000,
    },
  };
  await objects.put('campaigns/big.yaml', Buffer.from(DEFINITION));
  await registerDefinition(deps, 'campaigns/big.yaml');
});

afterEach(async () => {
  await Promise.all([sms.close(), fc.close(), redis.teardown()]);
});

const definition = (): CampaignDefinition => parseDefinition(DEFINITION, 'big.yaml').definition!;
const sentTo = () => action.accepted;

/** FC running a submitted task: the campaign handler's path for a chunk payload. */
async function runTask(payload: unknown, overrides: Partial<CampaignDeps> = {}) {
  const task = chunkTaskOf(decodeInvocation(Buffer.from(JSON.stringify(payload))))!;
  return runOne({ ...deps, ...overrides }, definition(), task.run_id, task.chunk);
}

describe('chunks', () => {
  it('split the profile parts into ranges that meet end to end', () => {
    for (const of of [1, 3, 7, MAX_CHUNKS]) {
      const chunks = Array.from({ length: of }, (_, i) => chunkOf(i, of));
      expect(chunks[0].parts.from).toBe(0);
      expect(chunks.at(-1)!.parts.to).toBe(PROFILE_PARTS);
      chunks.slice(1).forEach((c, i) => expect(c.parts.from).toBe(chunks[i].parts.to));
    }
  });

  it('number one per chunk size, at most MAX_CHUNKS and at most one per request a second', () => {
    expect(chunkCountFor(10, 1000, 50)).toBe(1);
    expect(chunkCountFor(2500, 1000, 50)).toBe(3);
    expect(chunkCountFor(10_000_000, 1000, 1000)).toBe(MAX_CHUNKS);
    expect(chunkCountFor(10_000_000, 1000, 20)).toBe(20);
  });

  it('refuse a malformed chunk task, naming its shape', () => {
    expect(() => chunkTaskOf(decodeInvocation(Buffer.from('{"campaign_chunk":{"campaign":"big","run_id":"x","index":3,"of":3}}')))).toThrow(
      /campaign_chunk/,
    );
  });
});

describe('the FC3 invoker', () => {
  it('submits a task once; the same task id again is a duplicate, not an error', async () => {
    expect(await deps.fanout.invoker.submit('campaign', { hello: 1 }, 'task-1')).toBe('accepted');
    expect(await deps.fanout.invoker.submit('campaign', { hello: 1 }, 'task-1')).toBe('duplicate');
    expect(fc.submitted).toEqual([{ functionName: 'campaign', taskId: 'task-1', payload: { hello: 1 } }]);
    const request = fc.received.at(-1)!;
    expect(request.headers['x-fc-invocation-type']).toBe('Async');
    expect(request.headers.authorization).toMatch(/^ACS3-HMAC-SHA256 Credential=LTAItestkey000001,/);
  });

  it('fails retryably when FC refuses the signature, and refuses a payload over 128 KB before sending it', async () => {
    const wrongKey = new FcApiInvoker({
      endpoint: new URL(fc.url),
      credentials: () => ({ ...TEST_AK, accessKeySecret: 'not-the-secret' }),
    });
    await expect(wrongKey.submit('campaign', {}, 'task-2')).rejects.toMatchObject({ code: 'fc_invoke_failed', retryable: true });
    const sent = fc.received.length;
    await expect(deps.fanout.invoker.submit('campaign', { pad: 'x'.repeat(MAX_ASYNC_PAYLOAD_BYTES) }, 'task-3')).rejects.toMatchObject({
      code: 'payload_too_large',
    });
    expect(fc.received.length).toBe(sent);
  });

  it("is fc20230330's: fc2's generic request, set to FC3's API version, signs the FC 2.0 way, which FC3's API refuses", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const FC2 = require('@alicloud/fc2') as new (
      account: string,
      config: object,
    ) => { version: string; request(...args: unknown[]): Promise<unknown> };
    const client = new FC2('1234567890123456', {
      accessKeyID: TEST_AK.accessKeyId,
      accessKeySecret: TEST_AK.accessKeySecret,
      region: 'cn-hangzhou',
      endpoint: fc.url,
    });
    client.version = '2023-03-30';
    await expect(
      client.request('POST', '/functions/campaign/invocations', null, '{}', {
        'x-fc-invocation-type': 'Async',
        'x-fc-async-task-id': 'fc2-task',
      }),
    ).rejects.toThrow(/401|InvalidAuthorization|ACS3/);
    expect(String(fc.received.at(-1)!.headers.authorization)).toMatch(/^FC LTAItestkey000001:/);
    expect(fc.submitted).toHaveLength(0);
  });
});

describe('a fanned-out run', () => {
  it(
    'submits each chunk once however often the timer fires, and ' + 'sends each person at most once however often FC runs a chunk',
    async () => {
      for (let i = 0; i < 3; i++) await runDue(deps, MORNING);
      await Promise.all([runDue(deps, MORNING), runDue(deps, MORNING), runDue(deps, MORNING)]);
      expect(fc.submitted.map((t) => t.taskId).sort()).toEqual([
        'big-2026-11-30T02_00_00_000Z-c0of3',
        'big-2026-11-30T02_00_00_000Z-c1of3',
        'big-2026-11-30T02_00_00_000Z-c2of3',
      ]);
      expect(fc.submitted.every((t) => Buffer.byteLength(JSON.stringify(t.payload)) < 200)).toBe(true);

      // FC's at-least-once delivery: every chunk twice in a row, then all of them again at once.
      for (const t of fc.submitted) {
        await runTask(t.payload);
        await runTask(t.payload);
      }
      await Promise.all(fc.submitted.map((t) => runTask(t.payload)));

      const people = await deps.ledger.people('big@2026-11-30T02:00:00.000Z');
      expect(people.size).toBe(PEOPLE);
      const sent = [...people.values()].filter((s) => s.status === 'sent').length;
      expect(sentTo().length).toBe(sent);
      expect(new Set(sentTo()).size).toBe(sent);
      expect(sent + [...people.values()].filter((s) => s.status === 'control').length).toBe(PEOPLE);
    },
  );

  it('hands a chunk that nears its timeout on to a continuation task, which finishes it', async () => {
    await runDue(deps, MORNING);
    const [first] = fc.submitted;
    const paused = await runTask(first.payload, { stopBy: 0 });
    expect(paused).toMatchObject({ status: 'paused' });
    const continuation = fc.submitted.at(-1)!;
    expect(continuation.taskId).toMatch(/^big-2026-11-30T02_00_00_000Z-c0of3-p/);
    expect(continuation.payload).toEqual(first.payload);
    expect(await runTask(continuation.payload)).toMatchObject({ status: 'done' });
  });

  it('defers a chunk at quiet hours and resubmits it when they end', async () => {
    await runDue(deps, MORNING);
    clock = Date.parse('2026-11-30T21:00:00+08:00');
    const chunk = fc.submitted[1];
    expect(await runTask(chunk.payload)).toMatchObject({ status: 'deferred' });
    expect(sentTo()).toHaveLength(0);

    clock = Date.parse('2026-12-01T08:00:00+08:00');
    await runDue(deps, clock);
    await runDue(deps, clock);
    const resumed = fc.submitted.filter((t) => /-c1of3-r/.test(t.taskId));
    expect(resumed).toHaveLength(1);
    expect(await runTask(resumed[0].payload)).toMatchObject({ status: 'done' });
    expect(sentTo().length).toBeGreaterThan(0);
  });
});
