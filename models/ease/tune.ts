/**
 * Leave-one-out splits and the tuning of EASE's λ and recency weighting. Tuning only ever
 * sees a validation split carved from the data it is given, never the test items.
 */
import type * as ort from 'onnxruntime-node';
import { seededRandom } from '../../lib/random';
import { rankOfTarget, summarise } from '../../lib/ranking/metrics';
import { easeScores, fitEase, NO_RECENCY, type Recency } from './ease';

const LAMBDAS = [100, 200, 400, 700, 1000];
/** Recency only means something when the data says when things happened. */
const RECENCIES: Recency[] = [NO_RECENCY, ...[2, 4, 8].flatMap((boost) => [5, 10, 20].map((tau) => ({ boost, tau })))];


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
  validationNdcg: number;
}

/** Picks λ and recency by NDCG@10 on a validation split of `byUser`. */
export async function tuneEase(
  byUser: number[][],
  items: number,
  chronological: boolean,
  session: ort.InferenceSession,
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<Tuned> {
  const { fit, cases } = leaveOneOut(byUser, items, chronological, seededRandom(42));
  const recencies = chronological ? RECENCIES : [NO_RECENCY];
  let best: Tuned = { lambda: LAMBDAS[0], recency: NO_RECENCY, validationNdcg: -1 };
  for (let i = 0; i < LAMBDAS.length; i++) {
    onProgress(i, LAMBDAS.length);
    const model = await fitEase(fit, items, LAMBDAS[i], session);
    for (const recency of recencies) {
      const { ndcg } = summarise(cases.map((c) => rankOfTarget(easeScores(model, fit[c.user], c.candidates, recency), 0)));
      if (ndcg > best.validationNdcg) best = { lambda: LAMBDAS[i], recency, validationNdcg: ndcg };
    }
  }
  onProgress(LAMBDAS.length, LAMBDAS.length);
  return best;
}
