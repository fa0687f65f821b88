/**
 * A campaign run against Alibaba SMS's real client and a wire fake that counts every number it
 * accepted: each person once however the run is replayed, control never contacted, consent,
 * caps across campaigns, budget, quiet hours, and a run that dies mid-way resuming without a resend.
 */
import { randomUUID } from 'node:crypto';
import { parseDefinition, type CampaignDefinition } from '../../functions/campaign/definitions/definition';
import { runCampaign, type RunDeps } from '../../functions/campaign/runCampaign';
import { selectionFor, type Select } from '../../functions/campaign/selection';
import { personalItemsFor, runOne, type CampaignDeps } from '../../functions/campaign/runOne';
import { clusterOf, itemOf, putCatalog, registerModel } from '../recommend/harness';
import { unevaluatedMeta } from '#models/recommender/unevaluated';
import { FEATURE_NAMES } from '#models/propensity/features';
import { exportPropensity } from '#models/propensity/serving';
import { ModelRegistry } from '#models/registry';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import type { ContactLedger } from '#lib/contacts';
import { MemoryContactLedger } from '#lib/contacts/memoryLedger';
import { RedisContactLedger } from '#lib/contacts/redisLedger';
import { createLogger } from '#lib/log';
import { PhoneVault, ProfileBook } from '#lib/profiles';
import { MemoryProfileStore } from '#lib/profiles/memoryStore';
import { AliyunSmsSender } from '#lib/sms/aliyunSms';
import { TencentSmsSender } from '#lib/sms/tencentSms';
import { startTencentSmsFake, tencentSenderFor, TEST_TENCENT } from '../wire/tencentSms';
import { sendBatchSmsAction, startAlibabaRpcFake, TEST_AK, type SendBatchSmsAction } from '../wire/alibabaRpc';
import type { HttpFake } from '../wire/httpFake';
import { GREETING, MEMBER_DAY, testCampaign } from '../fixtures/campaign';

const MORNING = Date.parse('2026-11-30T10:00:00+08:00');
const everyone: Select = async (profiles) => profiles;

function definition(id: string, extra: Record<string, string | number> = {}): CampaignDefinition {
  return testCampaign({ id, variants: `[ ${GREETING}, ${MEMBER_DAY} ]`, budget: '{ messages: 100000 }', ...extra });
}

const withBudget = (d: CampaignDefinition, budget: CampaignDefinition['budget']) => ({ ...d, budget });
/** Numbers the fake accepts (its suffixes 0000, 9999 and 1111 answer errors): 137, the person's index in 7 digits, 5. */
const phoneOf = (i: number) => `137${String(i).padStart(7, '0')}5`;
const indexOf = (phone: string) => Number(phone.slice(3, 10));

let fake: HttpFake;
let action: SendBatchSmsAction;
let profiles: ProfileBook;
let ledger: ContactLedger;
let clock: number;

async function addProfiles(n: number, fields: (i: number) => object = () => ({})) {
  await profiles.upsert(
    Array.from({ length: n }, (_, i) => ({
      userId: `u${i}`,
      phone: `+86${phoneOf(i)}`,
      consentSms: { granted: true, at: 1, source: 'test' },
      tags: ['member'],
      attributes: { nickname: `客${i}` },
      ...fields(i),
    })),
  );
}

function deps(overrides: Partial<RunDeps> = {}): RunDeps {
  return {
    profiles,
    ledger,
    sms: new AliyunSmsSender({ credentials: () => TEST_AK, signName: '示例商城', endpoint: fake.url }),
    policy: { caps: { perDay: 5, perWeek: 10 }, quiet: { fromMin: 20 * 60, toMin: 8 * 60 }, qps: 1000, priceMilliYuan: 45 },
    clock: () => clock,
    logger: createLogger({}, () => undefined),
    pageSize: 100,
    ...overrides,
  };
}

const sentTo = () => action.accepted.map((p) => p.replace(/^\+?86/, ''));
const duplicates = () => sentTo().length - new Set(sentTo()).size;

beforeEach(async () => {
  action = sendBatchSmsAction();
  fake = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: action });
  profiles = new ProfileBook(new MemoryProfileStore(), new PhoneVault(Buffer.alloc(32, 8)));
  ledger = new MemoryContactLedger();
  clock = MORNING;
});
afterEach(() => fake.close());

const statuses = async (run: string) => {
  const counts: Record<string, number> = {};
  for (const state of (await ledger.people(run)).values()) {
    const key = state.status === 'suppressed' ? `suppressed:${state.reason}` : state.status;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

describe('what a run needs', () => {
  it('refuses, with the reason, a campaign asking for what is not built yet or a model not trained yet', async () => {
    const objects = new LocalObjectStore(mkdtempSync(path.join(os.tmpdir(), 'mkt-select-')), 'mkt-data');
    const selectionDeps = { objects, features: new MemoryFeatureStore(), profiles, clock: () => clock };
    const withItems = parseDefinition(readFileSync(path.join(__dirname, '../fixtures/campaigns/double-eleven.yaml'), 'utf8'), 'd.yaml')
      .definition!;
    await expect(personalItemsFor(selectionDeps, withItems)).rejects.toMatchObject({
      status: 422,
      code: 'no_model',
      message: expect.stringContaining('ease'),
    });
    expect(await personalItemsFor(selectionDeps, definition('plain'))).toBeUndefined();
    const scored = { ...definition('scored'), scoring: { model: 'propensity' as const, threshold: 0.1 } };
    await expect(selectionFor(selectionDeps, scored)).rejects.toMatchObject({ code: 'no_model' });
    const topK = { ...definition('top'), scoring: { model: 'propensity' as const, topK: 10 } };
    await expect(selectionFor(selectionDeps, topK)).rejects.toMatchObject({ code: 'no_model' });
  });

  it('scores with the propensity champion: a threshold keeps those at or above it, top_k the K best of the whole audience', async () => {
    const objects = new LocalObjectStore(mkdtempSync(path.join(os.tmpdir(), 'mkt-score-')), 'mkt-data');
    // A model that only weighs spend: the more someone spent, the likelier they buy.
    const weights = new Float64Array(FEATURE_NAMES.length);
    weights[FEATURE_NAMES.indexOf('log_spend')] = 2;
    const scale = { mean: new Float64Array(FEATURE_NAMES.length), std: new Float64Array(FEATURE_NAMES.length).fill(1) };
    const registry = new ModelRegistry(objects);
    await registry.register(
      { ...unevaluatedMeta({ version: 'p1', itemIds: [], popular: [], lambda: 0, source: 'test' }), name: 'propensity' },
      exportPropensity({ weights, bias: -8 }, scale),
    );
    await registry.promote('propensity', 'p1');
    const features = new MemoryFeatureStore(() => MORNING);
    await addProfiles(40);
    await features.record(
      Array.from({ length: 40 }, (_, i) => ({
        userId: `u${i}`,
        type: 'purchase',
        ts: MORNING - 3600_000,
        itemId: 'sku',
        amount: 10 * (i + 1),
      })),
    );
    const selectionDeps = { objects, features, profiles, clock: () => MORNING };
    const page = (await profiles.store.scan(undefined, 100)).profiles;
    const ids = (selected: { userId: string }[]) => selected.map((p) => Number(p.userId.slice(1))).sort((a, b) => a - b);
    const top = await selectionFor(selectionDeps, { ...definition('top'), scoring: { model: 'propensity', topK: 5 } });
    expect(ids(await top(page, MORNING))).toEqual([35, 36, 37, 38, 39]);
    const cut = await selectionFor(selectionDeps, {
      ...definition('cut'),
      scoring: { model: 'uplift', threshold: 1 / (1 + Math.exp(8 - 2 * Math.log1p(300))) },
    });
    expect(ids(await cut(page, MORNING))[0]).toBe(29); // spend 300 and more
  });
});

describe('a campaign run', () => {
  it(
    'sends each person once, whether the timer event is replayed ' + 'three times in a row or three times at once (real Redis ledger)',
    async () => {
      const prefix = `mkt-test:${randomUUID()}:`;
      const redisLedger = new RedisContactLedger({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix });
      ledger = redisLedger;
      try {
        await addProfiles(500);
        const d = definition('replay');
        for (let i = 0; i < 3; i++) await runCampaign(deps(), d, 'tick-1', everyone);
        const first = await statuses('replay@tick-1');
        expect({ sent: sentTo().length, duplicates: duplicates() }).toEqual({ sent: first.sent, duplicates: 0 });
        expect(first.sent + first.control).toBe(500);

        action.accepted.length = 0;
        await Promise.all([0, 1, 2].map(() => runCampaign(deps(), d, 'tick-2', everyone)));
        expect({ sent: sentTo().length, duplicates: duplicates() }).toEqual({
          sent: (await statuses('replay@tick-2')).sent,
          duplicates: 0,
        });
      } finally {
        const keys = await redisLedger.redis.keys(`${prefix}*`);
        if (keys.length) await redisLedger.redis.del(...keys);
        await redisLedger.close();
      }
    },
  );

  it(
    'sends each person once through Tencent SMS too (real client, ' + 'TC3-signed, up to 200 numbers a request), three attempts at once',
    async () => {
      const tencent = await startTencentSmsFake();
      try {
        const sms = tencentSenderFor(tencent);
        await addProfiles(450);
        const d = definition('tencent');
        await Promise.all([0, 1, 2].map(() => runCampaign(deps({ sms }), d, 't', everyone)));
        const sent = (await statuses('tencent@t')).sent;
        expect(tencent.accepted.length).toBe(sent);
        expect(new Set(tencent.accepted).size).toBe(sent);
        expect(Math.max(...tencent.sent.map((b) => (b.PhoneNumberSet as string[]).length))).toBeLessThanOrEqual(200);
      } finally {
        await tencent.close();
      }
    },
  );

  describe('variants under their own templates (real Redis ledger)', () => {
    let redisLedger: RedisContactLedger;
    let prefix: string;
    beforeEach(() => {
      prefix = `mkt-test:${randomUUID()}:`;
      redisLedger = new RedisContactLedger({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix });
      ledger = redisLedger;
    });
    afterEach(async () => {
      const keys = await redisLedger.redis.keys(`${prefix}*`);
      if (keys.length) await redisLedger.redis.del(...keys);
      await redisLedger.close();
    });
    // The coupon fills only ${name}; the city text also ${city}, which half the profiles lack.
    const twoTemplates = (coupon: string, city: string, provider = 'aliyun') => ({
      control_share: 0,
      variants:
        `[ { id: coupon, template_code: ${coupon}, template_text: "\${name}您好，满300减50。拒收请回复R", item_strategy: none }, ` +
        `{ id: city, template_code: ${city}, template_text: "\${name}，\${city}门店上新。拒收请回复R", item_strategy: none } ]`,
      channel: `{ provider: ${provider}, sign_name: 示例商城, kind: promotional, params: { name: profile.nickname, city: profile.city } }`,
    });
    const withCityOnEvenIds = (i: number) => ({ attributes: { nickname: `客${i}`, ...(i % 2 === 0 ? { city: '上海' } : {}) } });
    const variantsOf = async (run: string) =>
      new Map(
        [...(await ledger.people(run))].flatMap(([id, s]) => ('variant' in s ? [[indexOf(phoneOf(Number(id.slice(1)))), s.variant]] : [])),
      );

    it('sends each variant under its own Alibaba template with only its own variables; the coupon needs no city', async () => {
      action.templates = new Map([
        ['SMS_200', ['name']],
        ['SMS_300', ['name', 'city']],
      ]);
      await addProfiles(200, withCityOnEvenIds);
      const d = testCampaign({ id: 'two', ...twoTemplates('SMS_200', 'SMS_300') });
      await runCampaign(deps(), d, 't', everyone);
      const variants = await variantsOf('two@t');
      const calls = fake.received.map((r) => new URLSearchParams(r.body.toString())).filter((c) => c.get('Action') === 'SendBatchSms');
      const seen = calls.flatMap((c) =>
        (JSON.parse(c.get('PhoneNumberJson')!) as string[]).map((phone, k) => ({
          variant: variants.get(indexOf(phone)),
          template: c.get('TemplateCode'),
          variables: Object.keys((JSON.parse(c.get('TemplateParamJson')!) as object[])[k]).sort(),
        })),
      );
      expect(new Set(seen.map((m) => `${m.variant}→${m.template}:${m.variables.join(',')}`))).toEqual(
        new Set(['coupon→SMS_200:name', 'city→SMS_300:city,name']),
      );
      const counts = await statuses('two@t');
      const coupon = [...variants.values()].filter((v) => v === 'coupon').length;
      expect(counts.sent).toBe(seen.length);
      expect(coupon).toBeGreaterThan(60); // about half of 200, all sent: none lacks what its own template fills
      expect(counts.sent + (counts['suppressed:missing_city'] ?? 0)).toBe(200);
      expect(counts['suppressed:missing_city']).toBeGreaterThan(20);
    });

    it('sends each variant under its own Tencent template with its own parameter count', async () => {
      const tencent = await startTencentSmsFake();
      try {
        tencent.templates = new Map([
          ['1001', 1],
          ['1002', 2],
        ]);
        const sms = tencentSenderFor(tencent);
        await addProfiles(100, withCityOnEvenIds);
        const d = testCampaign({ id: 'two-tc', ...twoTemplates('"1001"', '"1002"', 'tencent') });
        await runCampaign(deps({ sms }), d, 't', everyone);
        const byTemplate = new Map(tencent.sent.map((b) => [b.TemplateId as string, (b.TemplateParamSet as string[]).length]));
        expect(Object.fromEntries(byTemplate)).toEqual({ '1001': 1, '1002': 2 });
        expect(tencent.accepted.length).toBe((await statuses('two-tc@t')).sent);
      } finally {
        await tencent.close();
      }
    });
  });

  it('skips a campaign written for Alibaba SMS when the deployment sends through Tencent, contacting no one', async () => {
    await addProfiles(5);
    const tencent = await startTencentSmsFake();
    try {
      const sms = new TencentSmsSender({
        ...TEST_TENCENT,
        signName: '示例商城',
        endpoint: `127.0.0.1:${tencent.port}`,
        protocol: 'http://',
      });
      const objects = new LocalObjectStore(mkdtempSync(path.join(os.tmpdir(), 'mkt-provider-')), 'mkt-data');
      const scheduleDeps = { ...deps({ sms }), objects, features: new MemoryFeatureStore() } as unknown as CampaignDeps;
      const result = await runOne(scheduleDeps, definition('other-provider'), 't');
      expect(result).toMatchObject({ skipped: expect.stringMatching(/written for aliyun SMS.*through tencent/) });
      expect(tencent.sent).toEqual([]);
      expect(await ledger.people('other-provider@t')).toEqual(new Map());
    } finally {
      await tencent.close();
    }
  });

  it('never contacts the control group, whose share is within sampling error, stable per person', async () => {
    await addProfiles(2000);
    const d = definition('control');
    await runCampaign(deps(), d, 't', everyone);
    const people = await ledger.people('control@t');
    const control = [...people].filter(([, s]) => s.status === 'control').map(([id]) => id);
    // 10% of 2,000: 200 ± 3σ (σ ≈ 13.4)
    expect(Math.abs(control.length - 200)).toBeLessThan(41);
    const contacted = new Set(sentTo());
    expect(control.filter((id) => contacted.has(phoneOf(Number(id.slice(1)))))).toEqual([]);
    await runCampaign(deps(), d, 't2', everyone);
    const again = await ledger.people('control@t2');
    expect(control.every((id) => again.get(id)?.status === 'control')).toBe(true);
  });

  it('suppresses whoever withdrew consent, never gave it, or has no number', async () => {
    await addProfiles(30, (i) =>
      i % 3 === 0 ? { consentSms: { granted: false, at: 2, source: 'reply:R' } } : i % 3 === 1 ? { consentSms: undefined } : {},
    );
    await profiles.upsert([
      { userId: 'no-phone', consentSms: { granted: true, at: 1, source: 't' }, tags: ['member'], attributes: { nickname: 'x' } },
    ]);
    await runCampaign(deps(), definition('consent', { control_share: 0 }), 't', everyone);
    expect(await statuses('consent@t')).toEqual({ 'suppressed:no_consent': 20, 'suppressed:no_phone': 1, sent: 10 });
    expect(sentTo().map((p) => indexOf(p) % 3)).toEqual(Array(10).fill(2));
  });

  it('holds the contact caps across two campaigns', async () => {
    await addProfiles(50);
    const policy = { caps: { perDay: 1, perWeek: 10 }, quiet: { fromMin: 20 * 60, toMin: 8 * 60 }, qps: 1000, priceMilliYuan: 45 };
    await runCampaign(deps({ policy }), definition('first', { control_share: 0 }), 't', everyone);
    await runCampaign(deps({ policy }), definition('second', { control_share: 0 }), 't', everyone);
    expect(await statuses('second@t')).toEqual({ 'suppressed:contact_cap': 50 });
    expect(duplicates()).toBe(0);
  });

  it('gives back the cap slots of people a budget left out, and what a refused batch reserved (real Redis ledger)', async () => {
    const prefix = `mkt-test:${randomUUID()}:`;
    const redisLedger = new RedisContactLedger({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix });
    ledger = redisLedger;
    try {
      await addProfiles(50);
      const policy = { caps: { perDay: 1, perWeek: 10 }, quiet: { fromMin: 20 * 60, toMin: 8 * 60 }, qps: 1000, priceMilliYuan: 45 };
      await runCampaign(deps({ policy }), withBudget(definition('small', { control_share: 0 }), { messages: 5 }), 't', everyone);
      expect(await statuses('small@t')).toEqual({ sent: 5, 'suppressed:budget': 45 });
      // The same day, another campaign reaches the 45 the budget left out, and only them.
      await runCampaign(deps({ policy }), definition('later', { control_share: 0 }), 't', everyone);
      expect(await statuses('later@t')).toEqual({ sent: 45, 'suppressed:contact_cap': 5 });
      expect(duplicates()).toBe(0);

      // A batch the provider refuses (a template it does not know) holds neither cap slots nor budget.
      action.faults.push('templateIllegal');
      await addProfiles(60);
      const refused = withBudget(definition('refused', { control_share: 0 }), { messages: 100 });
      const more = { ...policy, caps: { perDay: 2, perWeek: 10 } };
      const first = await runCampaign(deps({ policy: more, pageSize: 60 }), refused, 't', everyone);
      expect(first.failed).toEqual({ 'isv.SMS_TEMPLATE_ILLEGAL': 60 });
      expect(await redisLedger.spent('refused@t')).toEqual({ messages: 0, milliYuan: 0 });
      await runCampaign(deps({ policy: more }), definition('after-refusal', { control_share: 0 }), 't', everyone);
      expect((await statuses('after-refusal@t')).sent).toBe(60); // every one of them still had a slot today
    } finally {
      const keys = await redisLedger.redis.keys(`${prefix}*`);
      if (keys.length) await redisLedger.redis.del(...keys);
      await redisLedger.close();
    }
  });

  it(
    'tries people refused for flow control again later in the run, sending ' +
      'each once; those refused on every try are deferred (real Redis ledger)',
    async () => {
      const prefix = `mkt-test:${randomUUID()}:`;
      const redisLedger = new RedisContactLedger({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix });
      ledger = redisLedger;
      try {
        await addProfiles(150);
        const waits: number[] = [];
        const retrying = { deferRetryMs: [5_000, 10_000], sleep: async (ms: number) => void waits.push(ms) };
        // The first request (100 people) is refused for flow control; the second try goes through.
        action.faults.push('flowControl');
        const d = definition('throttled', { control_share: 0 });
        const result = await runCampaign(deps(retrying), d, 't', everyone);
        expect(waits).toEqual([5_000]);
        expect(result.decided).toMatchObject({ sent: 150, failed: 0 });
        expect(await statuses('throttled@t')).toEqual({ sent: 150 });
        expect({ sent: sentTo().length, duplicates: duplicates() }).toEqual({ sent: 150, duplicates: 0 });
        expect(await redisLedger.spent('throttled@t')).toMatchObject({ messages: 150 });

        // Refused on every try: tried as often as the run allows, then deferred, never sent; their cap slots given back.
        action.faults.push('flowControl', 'flowControl', 'flowControl');
        await addProfiles(50, (i) => ({ userId: `late${i}`, phone: `+86${phoneOf(1000 + i)}` }));
        waits.length = 0;
        const stubborn = definition('stubborn', { control_share: 0 });
        const people = (await profiles.store.get(Array.from({ length: 50 }, (_, i) => `late${i}`))).filter((p) => p !== undefined);
        await runCampaign(deps(retrying), stubborn, 't', async () => people);
        expect(waits).toEqual([5_000, 10_000]);
        const r = await statuses('stubborn@t');
        expect(r).toEqual({ failed: 50 });
        const [one] = await redisLedger.statesOf('stubborn@t', ['late0']);
        expect(one).toMatchObject({ status: 'failed', failure: 'defer', code: 'isv.BUSINESS_LIMIT_CONTROL', attempts: 3 });
        expect(await redisLedger.spent('stubborn@t')).toEqual({ messages: 0, milliYuan: 0 });
      } finally {
        const keys = await redisLedger.redis.keys(`${prefix}*`);
        if (keys.length) await redisLedger.redis.del(...keys);
        await redisLedger.close();
      }
    },
  );

  it('never exceeds the budget, in messages or in yuan', async () => {
    await addProfiles(300);
    await runCampaign(deps(), withBudget(definition('by-count', { control_share: 0 }), { messages: 120 }), 't', everyone);
    expect(sentTo().length).toBe(120);
    action.accepted.length = 0;
    // 45 milli-yuan a one-segment message: 2 yuan pays for 44 of them.
    await runCampaign(deps(), withBudget(definition('by-yuan', { control_share: 0 }), { yuan: 2 }), 't', everyone);
    expect(sentTo().length).toBe(44);
    expect(await statuses('by-yuan@t')).toMatchObject({ sent: 44, 'suppressed:budget': 256 });
  });

  it('defers a run that meets quiet hours to their end, then sends the rest', async () => {
    await addProfiles(40);
    const d = definition('late', { control_share: 0 });
    clock = Date.parse('2026-11-30T21:30:00+08:00');
    const deferred = await runCampaign(deps(), d, 't', everyone);
    expect(deferred).toMatchObject({ status: 'deferred', resumeAt: Date.parse('2026-12-01T08:00:00+08:00') });
    expect(sentTo()).toEqual([]);
    clock = Date.parse('2026-12-01T08:00:00+08:00');
    expect(await runCampaign(deps(), d, 't', everyone)).toMatchObject({ status: 'done', decided: { sent: 40 } });
  });

  it(
    "names each person's top recommended item: from the registered model over " +
      'their history, never one they bought or touched, never an unavailable one',
    async () => {
      const objects = new LocalObjectStore(mkdtempSync(path.join(os.tmpdir(), 'mkt-items-')), 'mkt-data');
      await registerModel(objects, 'v1');
      await putCatalog(objects, [
        { item_id: itemOf(0, 3), available: false },
        { item_id: itemOf(0, 4), title: '保温杯' },
      ]);
      const features = new MemoryFeatureStore(() => MORNING);
      // u0..u29 each bought two items of cluster i % 3; u30 has no history.
      await features.record(
        Array.from({ length: 30 }, (_, i) =>
          [0, 1].map((n) => ({ userId: `u${i}`, type: 'purchase', ts: MORNING - 3600_000, itemId: itemOf(i % 3, n) })),
        ).flat(),
      );
      await addProfiles(31);
      const naming = {
        control_share: 0,
        variants: '[ { id: pick, template_text: "${name}，您可能喜欢${item}。拒收请回复R", item_strategy: top_recommendation } ]',
        channel:
          '{ provider: aliyun, sign_name: 示例商城, template_code: SMS_100, kind: ' +
          'promotional, params: { name: profile.nickname, item: item.title } }',
      };
      const d = testCampaign({ id: 'items', name: 'items', ...naming });
      const items = await personalItemsFor({ objects, features }, d);
      await runCampaign(deps({ items }), d, 't', everyone);
      const calls = fake.received
        .filter((r) => new URLSearchParams(r.body.toString()).get('Action') === 'SendBatchSms')
        .map((r) => new URLSearchParams(r.body.toString()));
      const sent = calls.flatMap((c) =>
        (JSON.parse(c.get('PhoneNumberJson')!) as string[]).map(
          (phone, k) => [indexOf(phone), (JSON.parse(c.get('TemplateParamJson')!) as { item: string }[])[k].item] as const,
        ),
      );
      expect(sent).toHaveLength(30);
      for (const [user, item] of sent) {
        const cluster = user % 3;
        expect(item === '保温杯' ? 0 : clusterOf(item)).toBe(cluster); // the model recommends within the cluster
        expect([itemOf(cluster, 0), itemOf(cluster, 1), itemOf(0, 3)]).not.toContain(item);
      }
      expect(await statuses('items@t')).toMatchObject({ sent: 30, 'suppressed:missing_item': 1 });

      // Every message is in the person's contact history, with its item; a campaign skipping items
      // seen in the last week then offers each person another one.
      const itemOfUser = new Map(sent.map(([user, item]) => [`u${user}`, item]));
      const history = await ledger.contactsOf(['u0'], 0);
      expect(history[0]).toEqual([
        expect.objectContaining({ channel: 'sms', campaign: 'items', run: 'items@t', variant: 'pick', outcome: 'sent', costMilliYuan: 45 }),
      ]);
      const skipping = testCampaign({ id: 'fresh', name: 'items', ...naming, skip_seen_items_days: 7 });
      fake.received.length = 0;
      await runCampaign(deps({ items, policy: { ...deps().policy, caps: { perDay: 5, perWeek: 10 } } }), skipping, 't', everyone);
      const again = fake.received
        .filter((r) => new URLSearchParams(r.body.toString()).get('Action') === 'SendBatchSms')
        .map((r) => new URLSearchParams(r.body.toString()));
      const second = again.flatMap((c) =>
        (JSON.parse(c.get('PhoneNumberJson')!) as string[]).map(
          (phone, k) => [indexOf(phone), (JSON.parse(c.get('TemplateParamJson')!) as { item: string }[])[k].item] as const,
        ),
      );
      expect(second.length).toBeGreaterThan(0);
      for (const [user, item] of second) expect([user, item === itemOfUser.get(`u${user}`)]).toEqual([user, false]);

      // A variant that names no item, beside one that does, sends to its people: its template has no ${item} to fill.
      const mixed = testCampaign({
        ...naming,
        id: 'mixed',
        variants:
          '[ { id: pick, template_text: "${name}，您可能喜欢${item}。拒收请回复R", item_strategy: top_recommendation }, ' +
          '{ id: coupon, template_code: SMS_200, template_text: "${name}您好，满300减50。拒收请回复R", item_strategy: none } ]',
      });
      await runCampaign(deps({ items, policy: { ...deps().policy, caps: { perDay: 9, perWeek: 20 } } }), mixed, 't', everyone);
      const decided = [...(await ledger.people('mixed@t')).values()];
      const coupons = decided.filter((state) => 'variant' in state && state.variant === 'coupon');
      expect(coupons.length).toBeGreaterThan(5);
      expect(coupons.every((state) => state.status === 'sent')).toBe(true);
    },
  );

  it('resumes a run that died mid-way from its last page, never resending what may have gone out', async () => {
    await addProfiles(300);
    const d = definition('crash', { control_share: 0 });
    const sms = deps().sms;
    let batches = 0;
    const dying = {
      ...sms,
      maxBatch: sms.maxBatch,
      describe: sms.describe,
      send: sms.send.bind(sms),
      sendBatch: (...args: Parameters<typeof sms.sendBatch>) =>
        ++batches === 2 ? Promise.reject(new Error('killed')) : sms.sendBatch(...args),
    };
    await expect(runCampaign(deps({ sms: dying }), d, 't', everyone)).rejects.toThrow('killed');
    await runCampaign(deps(), d, 't', everyone);
    const people = await statuses('crash@t');
    expect(people).toEqual({ sent: 200, claimed: 100 }); // the page in flight stays claimed: uncertain, never resent
    expect(duplicates()).toBe(0);
  });
});
