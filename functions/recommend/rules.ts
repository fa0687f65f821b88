/** Business rules applied after ranking: what may never be shown, and variety across categories. */
import type { Pick, Ranking } from './ranking';

/** At most this many items of one category in a list of n (unknown categories are not capped). */
export const categoryCap = (n: number) => Math.max(1, Math.ceil(n * 0.3));

/**
 * Takes n allowed candidates in rank order, skipping one once its category is at the cap, then
 * fills any shortfall from the skipped ones in rank order: variety first, never an emptier list.
 * Demoted items (what the person was just messaged about) come only after all of those. An item
 * ranked twice is taken once.
 * The ranking is read only as far as needed.
 */
export function diversify(ranking: Ranking, n: number, demoted: ReadonlySet<string> = new Set()): Pick[] {
  const cap = categoryCap(n);
  const perCategory = new Map<string, number>();
  const chosen: number[] = [];
  const skipped: number[] = [];
  const later: number[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < ranking.length && chosen.length < n; i++) {
    if (!ranking.allowed(i) || seen.has(ranking.itemId(i))) continue;
    seen.add(ranking.itemId(i));
    if (demoted.size > 0 && demoted.has(ranking.itemId(i))) {
      if (later.length < n) later.push(i);
      continue;
    }
    const category = ranking.category(i);
    if (category !== undefined) {
      const count = perCategory.get(category) ?? 0;
      if (count >= cap) {
        if (skipped.length < n) skipped.push(i);
        continue;
      }
      perCategory.set(category, count + 1);
    }
    chosen.push(i);
  }
  const positions =
    chosen.length === n || skipped.length === 0 ? chosen : chosen.concat(skipped.slice(0, n - chosen.length)).sort((a, b) => a - b);
  return positions.concat(later.slice(0, n - positions.length)).map((i) => ranking.pick(i));
}

/** Puts new arrivals in at every tenth place from the third (one per ten items), keeping at most n. */
export function withNewArrivals(list: Pick[], arrivals: Pick[], n: number): Pick[] {
  const out = [...list];
  arrivals.slice(0, Math.max(1, Math.floor(n / 10))).forEach((a, s) => out.splice(Math.min(2 + s * 10, out.length), 0, a));
  return out.slice(0, n);
}
