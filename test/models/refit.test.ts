/**
 * After tuning and evaluation, the served model is refitted on all the data, so it knows each
 * user's latest behaviour; the graph that was evaluated is kept beside it, and the next champion
 * challenge scores that one (the refit has seen the held-out items, which would flatter it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '#lib/random';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { RECOMMENDER_MODEL } from '#models/recommender/served';
import { RecommenderScorer } from '#models/recommender/scorer';
import { ModelRegistry } from '#models/registry';
import { trainRecommender, type TrainingSet } from '../../functions/train/trainRecommender';

const ITEMS = 40;
const LATE = ITEMS; // an item only ever touched last: held out of the evaluated fit, learnt by the refit

/** Four clusters of ten items; every user of cluster 0 touched LATE last. */
function trainingSet(): TrainingSet {
  const rand = seededRandom(8);
  const byUser = Array.from({ length: 160 }, (_, u) => {
    const cluster = u % 4;
    const items = [...new Set(Array.from({ length: 6 }, () => cluster * 10 + Math.floor(rand() * 10)))];
    return cluster === 0 ? [...items, LATE] : items;
  });
  return { byUser, itemIds: Array.from({ length: ITEMS + 1 }, (_, i) => `i${i}`), chronological: true, source: 'test', window: {} };
}

let dir: string;
let registry: ModelRegistry;
const deps = (day = 21) => ({
  registry,
  logger: createLogger({}, () => undefined),
  clock: () => Date.parse(`2026-11-${day}T03:30:00Z`),
  provider: 'cpu' as const,
});
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-refit-'));
  registry = new ModelRegistry(new LocalObjectStore(dir, 'mkt-data'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('refit on all the data', () => {
  it('serves a model that knows what users did last, and keeps the evaluated one beside it', async () => {
    const result = await trainRecommender(deps(), trainingSet());
    expect(result.promoted).toBe(true);
    const served = await RecommenderScorer.load((await registry.model(RECOMMENDER_MODEL, result.version))!);
    const evaluated = await RecommenderScorer.load((await registry.evaluatedModel(RECOMMENDER_MODEL, result.version))!);
    const history = [0, 3, 5];
    const [lateServed] = await served.candidateScores(history, [LATE]);
    const [lateEvaluated] = await evaluated.candidateScores(history, [LATE]);
    expect(Math.abs(lateEvaluated)).toBeLessThan(1e-3); // never seen before the refit
    expect(lateServed).toBeGreaterThan(0.05);
    expect(Array.from((await served.top(history, undefined, 5)).top.items)).toContain(LATE);
    const meta = (await registry.meta(RECOMMENDER_MODEL, result.version))!;
    expect(meta.params).toMatchObject({ refit: true, family: expect.stringMatching(/^(ease|als|blend)$/) });
  });

  it('challenges the champion with the graph it was evaluated as: the same data trains a tie, which keeps the champion', async () => {
    const first = await trainRecommender(deps(), trainingSet());
    const second = await trainRecommender(deps(22), trainingSet());
    expect(second.version).not.toBe(first.version);
    expect(second.championVersion).toBe(first.version);
    expect(second.championMetrics).toEqual(first.metrics);
    expect(second.metrics).toEqual(first.metrics);
    expect(second.promoted).toBe(false);
  });
});
