/**
 * The training use case: split the data (leave the latest item of each user out), tune and
 * fit EASE on the rest, export it to ONNX, evaluate the exported model and the current
 * champion on the same held-out items, register the version and promote it if it wins.
 */
import { unprocessable } from '#lib/errors';
import { rankOfTarget, summarise } from '#models/shared/rankingMetrics';
import { EaseTrainer, fitEase, type InteractionWeights, type Recency } from '#models/ease/ease';
import { EaseScorer, exportEase, MODEL_NAME } from '#models/ease/serving';
import { seededRandom } from '#lib/random';
import { leaveOneOut, tuneEase, type HoldOut } from '#models/ease/tune';
import { modelMeta } from '#models/registry';
import { challengeChampion, evaluationIdOf, release, type TrainDeps, type TrainResult } from './release';

const CODE_VERSION = 'ease-onnx-1';
const PRIMARY_METRIC = 'ndcg@10';
const POPULAR_KEPT = 200;

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

/** Evaluates a served model on held-out cases; `toModel` maps the data's item index to the model's (-1: unknown). */
async function evaluate(scorer: EaseScorer, recency: Recency, split: HoldOut, toModel: (i: number) => number) {
  const ranks: number[] = [];
  for (const c of split.cases) {
    const history = split.fit[c.user].map(toModel).filter((i) => i >= 0);
    ranks.push(rankOfTarget(await scorer.candidateScores(history, c.candidates.map(toModel), recency), 0));
  }
  const { hr, ndcg } = summarise(ranks, 10);
  return { 'hr@10': Number(hr.toFixed(4)), 'ndcg@10': Number(ndcg.toFixed(4)), users: ranks.length };
}

/** Item ids by how many users touched them, most first: serving's last-resort list. */
function mostInteracted(set: TrainingSet, limit: number): string[] {
  const users = new Float64Array(set.itemIds.length);
  for (const list of set.byUser) for (const i of new Set(list)) users[i]++;
  return [...users.keys()].sort((a, b) => users[b] - users[a] || a - b).slice(0, limit).map((i) => set.itemIds[i]);
}

export async function trainEase(deps: TrainDeps, set: TrainingSet): Promise<TrainResult> {
  const items = set.itemIds.length;
  const split = leaveOneOut(set.byUser, items, set.chronological, seededRandom(7));
  if (split.cases.length === 0) throw unprocessable('not_enough_data', 'not enough data: no user has two items');
  const trainer = await EaseTrainer.create(deps.provider);
  const tuned = await tuneEase(split.fit, items, set.chronological, trainer, undefined, set.weights);
  const model = await fitEase(split.fit, items, tuned.lambda, trainer, tuned.weighted ? set.weights : undefined);
  const onnx = exportEase(model, { lambda: String(tuned.lambda), recency: JSON.stringify(tuned.recency) });
  const metrics = await evaluate(await EaseScorer.load(onnx, deps.provider), tuned.recency, split, (i) => i);

  const evaluationId = evaluationIdOf({ source: set.source, window: set.window, users: set.byUser.length, items, cases: split.cases.map((c) => c.candidates[0]) });
  const champion = await challengeChampion(deps, MODEL_NAME, async (meta, bytes) => {
    const index = new Map(meta.itemIds.map((id, i) => [id, i]));
    return evaluate(await EaseScorer.load(bytes, deps.provider), meta.params.recency as Recency, split, (i) => index.get(set.itemIds[i]) ?? -1);
  });
  const meta = modelMeta(
    {
      name: MODEL_NAME,
      evaluation: { id: evaluationId, protocol: 'leave-latest-out, 99 sampled negatives, ties count against', users: metrics.users },
      metrics,
      ...champion,
      dataWindow: { ...set.window, source: set.source },
      params: { lambda: tuned.lambda, recency: tuned.recency, weighted: tuned.weighted, validationNdcg: tuned.validationNdcg },
      itemIds: set.itemIds,
      popular: mostInteracted(set, POPULAR_KEPT),
      codeVersion: CODE_VERSION,
    },
    new Date(deps.clock()),
  );
  return release(deps, meta, onnx, PRIMARY_METRIC);
}
