/**
 * Leave-one-out ranking metrics (the NCF protocol): the test item is ranked among its
 * candidates; a tie counts against it, so a model that scores everything equally earns nothing.
 */

/** 0-based rank of the target: how many other candidates score at least as high. */
export function rankOfTarget(scores: ArrayLike<number>, target: number): number {
  const t = scores[target];
  let rank = 0;
  for (let i = 0; i < scores.length; i++) if (i !== target && !(scores[i] < t)) rank++;
  return rank;
}

export const hitAt = (rank: number, k: number) => (rank < k ? 1 : 0);
export const ndcgAt = (rank: number, k: number) => (rank < k ? 1 / Math.log2(rank + 2) : 0);

/** Mean HR@k and NDCG@k over the ranks of many test cases. */
export function summarise(ranks: number[], k = 10): { hr: number; ndcg: number } {
  let hr = 0;
  let ndcg = 0;
  for (const r of ranks) {
    hr += hitAt(r, k);
    ndcg += ndcgAt(r, k);
  }
  return { hr: hr / ranks.length, ndcg: ndcg / ranks.length };
}
