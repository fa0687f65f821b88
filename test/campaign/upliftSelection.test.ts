/**
 * Which model a scoring campaign ranks people by: the uplift champion for `uplift`, the propensity
 * champion otherwise and as cold start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CampaignDefinition } from '../../functions/campaign/definitions/definition';
import { selectionFor, type SelectionDeps } from '../../functions/campaign/selection';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { PhoneVault, ProfileBook } from '#lib/profiles';
import { MemoryProfileStore } from '#lib/profiles/memoryStore';
import { FEATURE_NAMES } from '#models/propensity/features';
import { exportPropensity, PROPENSITY_MODEL } from '#models/propensity/serving';
import { modelMeta, ModelRegistry } from '#models/registry';
import type { Logistic } from '#models/shared/logistic';
import { exportUplift, UPLIFT_MODEL } from '#models/uplift/serving';
import { testCampaign } from '../fixtures/campaign';

const MORNING = Date.parse('2026-11-30T10:00:00+08:00');
const HOUR = 3600_000;
const d = FEATURE_NAMES.length;

function definition(scoring: string): CampaignDefinition {
  return testCampaign({
    id: 'pick',
    scoring,
    variants: '[ { id: a, template_text: "您好，新品到店。拒收请回复R", item_strategy: none } ]',
    channel: '{ provider: aliyun, sign_name: 示例商城, template_code: SMS_100, kind: promotional }',
  });
}

/** A logistic model weighing one feature. */
const weighing = (feature: string, weight: number, bias: number): Logistic => {
  const weights = new Float64Array(d);
  if (feature) weights[FEATURE_NAMES.indexOf(feature)] = weight;
  return { weights, bias };
};

async function register(registry: ModelRegistry, name: string, version: string, onnx: Buffer) {
  const meta = modelMeta(
    {
      name,
      version,
      evaluation: { id: 'test', protocol: 'none', users: 0 },
      metrics: {},
      dataWindow: { source: 'test' },
      params: { features: FEATURE_NAMES },
      itemIds: [],
      codeVersion: 'test',
    },
    new Date(MORNING),
  );
  await registry.register(meta, onnx);
  await registry.promote(name, version);
}

let dir: string;
let deps: SelectionDeps;
let logged: { msg: string; model?: string; version?: string; coldStart?: boolean }[];

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-uplift-select-'));
  const profiles = new ProfileBook(new MemoryProfileStore(), new PhoneVault(Buffer.alloc(32, 8)));
  await profiles.upsert(
    Array.from({ length: 20 }, (_, i) => ({ userId: `u${i}`, consentSms: { granted: true, at: 1, source: 'test' }, tags: ['member'] })),
  );
  // u0–u9 spent (u9 the most): likely buyers. u10–u19 left carts (u19 the most): the ones a message moves.
  const features = new MemoryFeatureStore(() => MORNING);
  await features.record([
    ...Array.from({ length: 10 }, (_, i) => ({
      userId: `u${i}`,
      type: 'purchase',
      ts: MORNING - HOUR,
      itemId: 'sku',
      amount: 10 * (i + 1),
    })),
    ...Array.from({ length: 10 }, (_, i) =>
      Array.from({ length: i + 1 }, () => ({ userId: `u${10 + i}`, type: 'add_to_cart', ts: MORNING - HOUR, itemId: 'sku' })),
    ).flat(),
  ]);
  logged = [];
  const logger = createLogger({}, (line) => logged.push(JSON.parse(line)));
  deps = { objects: new LocalObjectStore(dir, 'mkt-data'), features, profiles, clock: () => MORNING, logger };
  const scale = { mean: new Float64Array(d), std: new Float64Array(d).fill(1) };
  await register(new ModelRegistry(deps.objects), PROPENSITY_MODEL, 'p1', exportPropensity(weighing('log_spend', 2, -8), scale));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const picked = async (scoring: string) => {
  const page = (await deps.profiles.store.scan(undefined, 100)).profiles;
  const chosen = await (await selectionFor(deps, definition(scoring)))(page, MORNING);
  return chosen.map((p) => Number(p.userId.slice(1))).sort((a, b) => a - b);
};
const withUpliftChampion = () =>
  register(new ModelRegistry(deps.objects), UPLIFT_MODEL, 'u1', exportUplift(weighing('log_add_to_cart_d7', 3, -3), weighing('', 0, -3)));

describe('scoring by uplift', () => {
  it('ranks by the uplift champion’s uplift when one is registered', async () => {
    await withUpliftChampion();
    expect(await picked('{ model: uplift, top_k: 5 }')).toEqual([15, 16, 17, 18, 19]);
    // uplift = σ(3·log(1+carts) − 3) − σ(−3): at least 0.3 from 2 carts up, 0 for those who never left one
    expect(await picked('{ model: uplift, threshold: 0.3 }')).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'campaign scoring model', model: UPLIFT_MODEL, version: 'u1' }));
  });

  it('falls back to the propensity champion while no uplift model is registered (cold start), and says so', async () => {
    expect(await picked('{ model: uplift, top_k: 5 }')).toEqual([5, 6, 7, 8, 9]);
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: 'campaign scoring model', model: PROPENSITY_MODEL, version: 'p1', coldStart: true }),
    );
  });

  it('leaves propensity scoring on the propensity champion even when an uplift model is registered', async () => {
    await withUpliftChampion();
    expect(await picked('{ model: propensity, top_k: 5 }')).toEqual([5, 6, 7, 8, 9]);
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'campaign scoring model', model: PROPENSITY_MODEL, coldStart: false }));
  });
});
