/**
 * The tuning of EASE's λ and recency weighting on a validation split (models/shared/holdOut.ts)
 * carved from the training data, never the test items.
 */
import { ndcgOf, type HoldOut } from '#models/shared/holdOut';
import { NO_RECENCY, recencyWeight, type Recency } from '#models/shared/recency';
import type { EaseModel, EaseTrainer, InteractionWeights } from './ease';

const LAMBDAS = [100, 200, 400, 800, 1600, 3200];
const START_LAMBDA = 2;
/** Recency only means something when the data says when things happened. */
const RECENCIES: Recency[] = [NO_RECENCY, ...[2, 4, 8, 16, 32].flatMap((boost) => [3, 5, 10, 20].map((tau) => ({ boost, tau })))];

export interface Tuned {
  lambda: number;
  recency: Recency;
  /** Whether X carries the interaction weights (else binary). */
  weighted: boolean;
  validationNdcg: number;
  /** Per validation case, its candidates' scores under the chosen setting (for blending). */
  scores: Float64Array[];
}

/**
 * Per validation case, B[history item, candidate] for every history position (oldest first):
 * read from B once per λ, then reused for every recency setting.
 */
function contributions(model: EaseModel, split: HoldOut): Float32Array[] {
  return split.cases.map(({ user, candidates }) => {
    const history = split.fit[user];
    const out = new Float32Array(history.length * candidates.length);
    history.forEach((j, k) => {
      const row = j * model.items;
      for (let c = 0; c < candidates.length; c++) out[k * candidates.length + c] = model.weights[row + candidates[c]];
    });
    return out;
  });
}

function scoresOf(perCase: Float32Array[], split: HoldOut, recency: Recency): Float64Array[] {
  return split.cases.map(({ user, candidates }, n) => {
    const h = split.fit[user].length;
    const scores = new Float64Array(candidates.length);
    for (let k = 0; k < h; k++) {
      const w = recencyWeight(h - 1 - k, recency);
      for (let c = 0; c < candidates.length; c++) scores[c] += w * perCase[n][k * candidates.length + c];
    }
    return scores;
  });
}

/**
 * Picks λ, recency and (when `weights` are given) weighted or binary X by NDCG@10 on the validation
 * split. λ is walked from the middle of its range towards the better side until it stops improving
 * (each λ is a solve of items³), scoring every recency setting at each.
 */
export async function tuneEase(
  split: HoldOut,
  items: number,
  chronological: boolean,
  trainer: EaseTrainer,
  weights?: InteractionWeights,
): Promise<Tuned> {
  const recencies = chronological ? RECENCIES : [NO_RECENCY];
  let best: Tuned = { lambda: LAMBDAS[0], recency: NO_RECENCY, weighted: false, validationNdcg: -1, scores: [] };
  for (const weighted of weights ? [false, true] : [false]) {
    const gram = await trainer.gram(split.fit, items, weighted ? weights : undefined);
    const atLambda = async (l: number) => {
      const perCase = contributions(await trainer.solve(gram, LAMBDAS[l]), split);
      let found: Tuned | undefined;
      for (const recency of recencies) {
        const scores = scoresOf(perCase, split, recency);
        const ndcg = ndcgOf(scores);
        if (!found || ndcg > found.validationNdcg) found = { lambda: LAMBDAS[l], recency, weighted, validationNdcg: ndcg, scores };
      }
      return found!;
    };
    let here = await atLambda(START_LAMBDA);
    for (const step of [1, -1]) {
      let moved = false;
      for (let l = START_LAMBDA + step; l >= 0 && l < LAMBDAS.length; l += step) {
        const next = await atLambda(l);
        if (next.validationNdcg <= here.validationNdcg) break;
        [here, moved] = [next, true];
      }
      if (moved) break;
    }
    if (here.validationNdcg > best.validationNdcg) best = here;
  }
  return best;
}
