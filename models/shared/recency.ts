/**
 * How much more a recent item of a history counts: the k-th most recent weighs
 * 1 + boost·e^(−k/tau). `boost` 0 weighs the whole history equally. The recommender's graph
 * applies it when serving, and EASE's tuning chooses it, so it sits between both.
 */
export interface Recency {
  boost: number;
  tau: number;
}

export const NO_RECENCY: Recency = { boost: 0, tau: 1 };

/** The weight of the item `stepsBack` places before the newest (0 for the newest). */
export const recencyWeight = (stepsBack: number, recency: Recency) => 1 + recency.boost * Math.exp(-stepsBack / recency.tau);

/** A model's recency from its registry params (none when it was trained without timestamps). */
export const recencyOf = (params: Record<string, unknown>): Recency => (params.recency as Recency | undefined) ?? NO_RECENCY;
