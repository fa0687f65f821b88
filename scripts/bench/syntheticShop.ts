/**
 * A synthetic shop for benchmarks: items in categories with a Zipf popularity skew (a few items
 * take much of the traffic), users whose activity is itself skewed and who mostly browse one or
 * two favourite categories, so a recommender has structure to learn. Seeded, so runs compare.
 */
import { seededRandom } from '#lib/random';

export interface ShopSize {
  users: number;
  items: number;
  interactions: number;
}

export interface SyntheticShop {
  /** Per user: distinct item indices in the order they were touched (oldest first). */
  byUser: number[][];
  categories: number;
  categoryOf: (item: number) => number;
  interactions: number;
}

const ITEMS_PER_CATEGORY = 100;
const ZIPF_EXPONENT = 1.05;

/** Inverse-CDF sampler over ranks 0…n−1 with weight (rank + 1)^−s. */
function zipf(n: number, s: number, rand: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) cdf[r] = total += (r + 1) ** -s;
  return () => {
    const x = rand() * total;
    let [lo, hi] = [0, n - 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function syntheticShop(size: ShopSize, seed = 42): SyntheticShop {
  const rand = seededRandom(seed);
  const categories = Math.max(1, Math.floor(size.items / ITEMS_PER_CATEGORY));
  // Item i sits in category i % categories; within a category, lower indices are more popular.
  const categoryOf = (item: number) => item % categories;
  const perCategory = Math.ceil(size.items / categories);
  const inCategory = zipf(perCategory, ZIPF_EXPONENT, rand);
  const anyItem = zipf(size.items, ZIPF_EXPONENT, rand);
  const favourite = zipf(categories, 0.8, rand);
  // Activity: a Pareto-like share per user, scaled to the requested total.
  const shares = Float64Array.from({ length: size.users }, () => 1 / Math.sqrt(1 - rand() * 0.999));
  const scaleBy = size.interactions / shares.reduce((a, b) => a + b, 0);
  const byUser: number[][] = [];
  let interactions = 0;
  for (let u = 0; u < size.users; u++) {
    const wanted = Math.max(2, Math.min(size.items >> 1, Math.round(shares[u] * scaleBy)));
    const tastes = [favourite(), favourite()];
    const seen = new Set<number>();
    for (let tries = 0; seen.size < wanted && tries < wanted * 4; tries++) {
      const r = rand();
      const item = r < 0.85 ? tastes[r < 0.6 ? 0 : 1] + categories * inCategory() : anyItem();
      if (item < size.items) seen.add(item);
    }
    byUser.push([...seen]);
    interactions += seen.size;
  }
  return { byUser, categories, categoryOf, interactions };
}
