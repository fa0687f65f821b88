/**
 * Leave-one-out hold-outs, for the test split and the validation split carved from training
 * data: each user's latest item (a random one when the order is not chronological) is ranked
 * among up to 99 items the user never touched.
 */
import { seededRandom, shuffled } from '#lib/random';
import { rankOfTarget, summarise } from './rankingMetrics';

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

/** A hold-out with at most `max` of its cases, drawn at random: enough to rank settings, cheap to score. */
export function sampledCases(split: HoldOut, max: number, rand: () => number): HoldOut {
  return { fit: split.fit, cases: shuffled(split.cases, rand).slice(0, max) };
}

/** Per validation case, its candidates' scores (the held-out item first). */
export type CaseScores = Float32Array | Float64Array;

/** NDCG@10 of per-case candidate scores (ties count against the held-out item). */
export const ndcgOf = (scores: CaseScores[]) => summarise(scores.map((s) => rankOfTarget(s, 0))).ndcg;

/** Validation users scored per setting: enough to rank settings, few enough for large catalogues. */
const MAX_VALIDATION_USERS = 3000;

/** The validation split tuning uses, carved from training data (seeded: the same data gives the same split). */
export function validationSplit(byUser: number[][], items: number, chronological: boolean): HoldOut {
  const rand = seededRandom(42);
  return sampledCases(leaveOneOut(byUser, items, chronological, rand), MAX_VALIDATION_USERS, rand);
}
