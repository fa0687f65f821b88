/**
 * Leave-one-out splits and the tuning of EASE's λ and recency weighting. Tuning only ever
 * sees a validation split carved from the data it is given, never the test items.
 */
import { seededRandom, shuffled } from '#lib/random';
import { rankOfTarget, summarise } from '#models/shared/rankingMetrics';
import { NO_RECENCY, type EaseModel, type EaseTrainer, type InteractionWeights, type Recency } from './ease';

const LAMBDAS = [100, 200, 400, 800, 1600, 3200];
/** Recency only means something when the data says when things happened. */
const RECENCIES: Recency[] = [NO_RECENCY, ...[2, 4, 8, 16, 32].flatMap((boost) => [3, 5, 10, 20].map((tau) => ({ boost, tau })))];
/** Validation users scored per setting: enough to rank settings, few enough for large catalogues. */
const MAX_VALIDATION_USERS = 3000;


export interface HoldOut {
  /** Histories without the held-out items. */
  fit: number[][];
  /** Per user with ≥ 2 items: the held-out item first, then up to 99 items the user never touched. */
  cases: { user: number; candidates: number[] }[];
}

/** Holds out each user's latest item (a random one when the order is not chronological). */
export function leaveOneOut(byUser: number[][], items: number, chronological: boolean, rand: () => number): HoldOut {
  const fit: number[][] = [];
  const cases: HoldOut['cases'] = [];
  byUser.forEach((list, u) => {
    if (list.length < 2) {
      fit[u] = list;
      return;
    }
    const at = chronological ? list.length - 1 : Math.floor(rand() * list.length);
    fit[u] = [...list.slice(0, at), ...list.slice(at + 1)];
    const touched = new Set(list);
    const candidates = new Set([list[at]]);
    while (candidates.size < Math.min(100, items - touched.size + 1)) {
      const c = Math.floor(rand() * items);
      if (!touched.has(c)) candidates.add(c);
    }
    cases.push({ user: u, candidates: [...candidates] });
  });
  return { fit, cases };
}

export interface Tuned {
  lambda: number;
  recency: Recency;
  /** Whether X carries the interaction weights (else binary). */
  weighted: boolean;
  validationNdcg: number;
}

/**
 * Per validation case, B[history item, candidate] for every history position (oldest first):
 * read from B once per λ, then reused for every recency setting.
 */
function contributions(model: EaseModel, fit: number[][], cases: HoldOut['cases']): Float32Array[] {
  return cases.map(({ user, candidates }) => {
    const history = fit[user];
    const out = new Float32Array(history.length * candidates.length);
    history.forEach((j, k) => {
      const row = j * model.items;
      for (let c = 0; c < candidates.length; c++) out[k * candidates.length + c] = model.weights[row + candidates[c]];
    });
    return out;
  });
}

function validationNdcg(perCase: Float32Array[], fit: number[][], cases: HoldOut['cases'], recency: Recency): number {
  const ranks = cases.map(({ user, candidates }, n) => {
    const h = fit[user].length;
    const scores = new Float64Array(candidates.length);
    for (let k = 0; k < h; k++) {
      const w = 1 + recency.boost * Math.exp(-(h - 1 - k) / recency.tau);
      for (let c = 0; c < candidates.length; c++) scores[c] += w * perCase[n][k * candidates.length + c];
    }
    return rankOfTarget(scores, 0);
  });
  return summarise(ranks).ndcg;
}

/** Picks λ, recency and (when `weights` are given) weighted or binary X by NDCG@10 on a validation split of `byUser`. */
export async function tuneEase(
  byUser: number[][],
  items: number,
  chronological: boolean,
  trainer: EaseTrainer,
  onProgress: (done: number, total: number) => void = () => undefined,
  weights?: InteractionWeights,
): Promise<Tuned> {
  const rand = seededRandom(42);
  const split = leaveOneOut(byUser, items, chronological, rand);
  const cases = shuffled(split.cases, rand).slice(0, MAX_VALIDATION_USERS);
  const recencies = chronological ? RECENCIES : [NO_RECENCY];
  const weightings = weights ? [false, true] : [false];
  const total = weightings.length * LAMBDAS.length;
  let best: Tuned = { lambda: LAMBDAS[0], recency: NO_RECENCY, weighted: false, validationNdcg: -1 };
  for (const [w, weighted] of weightings.entries()) {
    const gram = await trainer.gram(split.fit, items, weighted ? weights : undefined);
    for (const [l, lambda] of LAMBDAS.entries()) {
      onProgress(w * LAMBDAS.length + l, total);
      const perCase = contributions(await trainer.solve(gram, lambda), split.fit, cases);
      for (const recency of recencies) {
        const ndcg = validationNdcg(perCase, split.fit, cases, recency);
        if (ndcg > best.validationNdcg) best = { lambda, recency, weighted, validationNdcg: ndcg };
      }
    }
  }
  onProgress(total, total);
  return best;
}
