/** Ranking metrics checked against cases computed by hand. */
import { hitAt, ndcgAt, rankOfTarget, summarise } from '#models/shared/rankingMetrics';

describe('leave-one-out ranking metrics', () => {
  it('ranks the target by how many candidates score at least as high', () => {
    expect(rankOfTarget([0.9, 0.1, 0.5], 0)).toBe(0);
    expect(rankOfTarget([0.5, 0.9, 0.7, 0.1], 0)).toBe(2);
  });

  it('counts ties against the target', () => {
    expect(rankOfTarget([0.5, 0.5, 0.1], 0)).toBe(1);
    expect(rankOfTarget(new Array(100).fill(0), 0)).toBe(99);
  });

  it('computes HR@10 and NDCG@10 as in the NCF paper', () => {
    expect(hitAt(9, 10)).toBe(1);
    expect(hitAt(10, 10)).toBe(0);
    expect(ndcgAt(0, 10)).toBe(1);
    expect(ndcgAt(1, 10)).toBeCloseTo(1 / Math.log2(3), 12);
    expect(ndcgAt(10, 10)).toBe(0);
    // ranks 0, 2, 12: HR = 2/3, NDCG = (1 + 1/log2(4)) / 3 = 0.5
    expect(summarise([0, 2, 12], 10)).toEqual({ hr: 2 / 3, ndcg: 0.5 });
  });
});
