/**
 * The training use case of the recommendation model (registered as `ease` whichever family wins):
 * leave each user's latest item out; tune EASE, ALS and their blend on a validation split of the
 * rest and choose among them; fit the choice on the rest, export it and evaluate the exported
 * graph with the current champion on the same held-out items. Then refit the choice on all the
 * data, so the served model knows each user's latest behaviour, and register it, with the graph
 * that was evaluated beside it (the next challenge scores that one: the refit has seen its
 * held-out items), promoting it if it won.
 */
import { unprocessable } from '#lib/errors';
import { seededRandom } from '#lib/random';
import type { InteractionWeights } from '#models/ease/ease';
import { RECOMMENDER_MODEL, RecommenderVersion } from '#models/recommender/served';
import { RecommenderScorer } from '#models/recommender/scorer';
import { exportFitted, fitRecommender, recallOf, tuneRecommender, type Fitted } from '#models/recommender/train';
import { modelMeta } from '#models/registry';
import { leaveOneOut, sampledCases, type HoldOut } from '#models/shared/holdOut';
import type { Recency } from '#models/shared/recency';
import { rankOfTarget, summarise } from '#models/shared/rankingMetrics';
import { challengeChampion, evaluationIdOf, release, type TrainDeps, type TrainResult } from './release';

const CODE_VERSION = 'recommender-onnx-2';
const PRIMARY_METRIC = 'ndcg@10';
const POPULAR_KEPT = 200;
/** Held-out users scored per evaluation: enough to compare versions, bounded for large shops. */
const MAX_TEST_USERS = 20_000;
/** A longer history is evaluated on its latest items (ALS folds a history in at O(h³); recommend passes at most 50). */
const MAX_TEST_HISTORY = 1000;

export interface TrainingSet {
  /** Per user: item indices (into itemIds), oldest first when `chronological`. */
  byUser: number[][];
  itemIds: string[];
  chronological: boolean;
  /** Interaction weights (raw-log data); tuning decides whether they beat binary X. */
  weights?: InteractionWeights;
  source: string;
  window: { from?: string; to?: string };
}

/** Evaluates an exported graph on held-out cases; `toModel` maps the data's item index to the model's (-1: unknown). */
async function evaluate(model: Buffer, deps: TrainDeps, recency: Recency, split: HoldOut, toModel: (i: number) => number) {
  const scorer = await RecommenderScorer.load(model, deps.provider);
  const ranks: number[] = [];
  for (const c of split.cases) {
    const history = split.fit[c.user]
      .slice(-MAX_TEST_HISTORY)
      .map(toModel)
      .filter((i) => i >= 0);
    ranks.push(rankOfTarget(await scorer.candidateScores(history, c.candidates.map(toModel), recency), 0));
  }
  await scorer.release();
  const { hr, ndcg } = summarise(ranks, 10);
  return { 'hr@10': Number(hr.toFixed(4)), 'ndcg@10': Number(ndcg.toFixed(4)), users: ranks.length };
}

/** Item ids by how many users touched them, most first: serving's last-resort list. */
function mostInteracted(set: TrainingSet, limit: number): string[] {
  const users = new Float64Array(set.itemIds.length);
  for (const list of set.byUser) for (const i of new Set(list)) users[i]++;
  return [...users.keys()]
    .sort((a, b) => users[b] - users[a] || a - b)
    .slice(0, limit)
    .map((i) => set.itemIds[i]);
}

/** What a version records of how it was chosen and fitted. */
function paramsOf(fitted: Fitted) {
  const { recipe } = fitted;
  return {
    family: recipe.family,
    recency: recipe.recency,
    ease: recipe.ease,
    als: recipe.als,
    weights: recipe.weights,
    recall: recallOf(fitted),
    validationNdcg: recipe.validationNdcg,
    refit: true,
  };
}

export async function trainRecommender(deps: TrainDeps, set: TrainingSet): Promise<TrainResult> {
  const items = set.itemIds.length;
  const rand = seededRandom(7);
  const held = leaveOneOut(set.byUser, items, set.chronological, rand);
  const split = held.cases.length > MAX_TEST_USERS ? sampledCases(held, MAX_TEST_USERS, rand) : held;
  if (split.cases.length === 0) throw unprocessable('not_enough_data', 'not enough data: no user has two items');
  const options = { provider: deps.provider, weights: set.weights, onProgress: (stage: string) => deps.logger.info('training', { stage }) };
  const tuned = await tuneRecommender(split.fit, items, set.chronological, options);
  const { recipe } = tuned;
  const evaluated = await fitRecommender(recipe, split.fit, items, { ...options, from: tuned });
  const evaluatedOnnx = await exportFitted(evaluated, deps.provider);
  const metrics = await evaluate(evaluatedOnnx, deps, recipe.recency, split, (i) => i);

  const evaluationId = evaluationIdOf({
    source: set.source,
    window: set.window,
    users: set.byUser.length,
    items,
    cases: split.cases.map((c) => c.candidates[0]),
  });
  const champion = await challengeChampion(deps, RECOMMENDER_MODEL, async (meta, bytes) => {
    const champion = new RecommenderVersion(meta);
    const asEvaluated = (await deps.registry.evaluatedModel(RECOMMENDER_MODEL, meta.version)) ?? bytes;
    return evaluate(asEvaluated, deps, champion.recency, split, (i) => champion.index.get(set.itemIds[i]) ?? -1);
  });
  const served = await fitRecommender(recipe, set.byUser, items, { ...options, from: evaluated });
  const meta = modelMeta(
    {
      name: RECOMMENDER_MODEL,
      evaluation: {
        id: evaluationId,
        protocol: 'leave-latest-out, 99 sampled negatives, ties count against; scored before the refit on all data',
        users: metrics.users,
      },
      metrics,
      ...champion,
      dataWindow: { ...set.window, source: set.source },
      params: paramsOf(served),
      itemIds: set.itemIds,
      popular: mostInteracted(set, POPULAR_KEPT),
      codeVersion: CODE_VERSION,
    },
    new Date(deps.clock()),
  );
  await deps.registry.registerEvaluated(RECOMMENDER_MODEL, meta.version, evaluatedOnnx);
  return release(deps, meta, await exportFitted(served, deps.provider), PRIMARY_METRIC);
}
