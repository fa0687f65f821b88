/** Business rules applied after ranking: what may never be shown, and variety across categories. */

export interface Pick {
  itemId: string;
  score: number;
  reason: string;
  /** For a model pick: the history item that contributed most (the reason is worded from it at the end). */
  because?: string;
  /** For a model pick: its index in the model (rules look it up by index, not by id). */
  item?: number;
}

/** At most this many items of one category in a list of n (unknown categories are not capped). */
export const categoryCap = (n: number) => Math.max(1, Math.ceil(n * 0.3));

/**
 * Takes n allowed picks in rank order, skipping an item once its category is at the cap, then
 * fills any shortfall from the skipped ones in rank order: variety first, never an emptier list.
 * `ranked` is read only as far as needed, so a lazy tail (trending top-ups) costs nothing
 * when the head already fills the list.
 */
export function diversify(ranked: Iterable<Pick>, n: number, categoryOf: (pick: Pick) => string | undefined, allowed: (pick: Pick) => boolean = () => true): Pick[] {
  if (n <= 0) return [];
  const cap = categoryCap(n);
  const perCategory = new Map<string, number>();
  const chosen: Pick[] = [];
  const chosenAt: number[] = [];
  const skipped: Pick[] = [];
  const skippedAt: number[] = [];
  let position = 0;
  for (const pick of ranked) {
    position++;
    if (!allowed(pick)) continue;
    const category = categoryOf(pick);
    const count = category === undefined ? 0 : (perCategory.get(category) ?? 0);
    if (category !== undefined && count >= cap) {
      if (skipped.length < n) {
        skipped.push(pick);
        skippedAt.push(position);
      }
      continue;
    }
    if (category !== undefined) perCategory.set(category, count + 1);
    chosen.push(pick);
    chosenAt.push(position);
    if (chosen.length === n) break;
  }
  if (chosen.length === n || skipped.length === 0) return chosen;
  // Both lists are in rank order: merge them, taking only as many skipped picks as are missing.
  const out: Pick[] = [];
  const missing = Math.min(n - chosen.length, skipped.length);
  for (let c = 0, s = 0; c < chosen.length || s < missing; ) {
    if (s < missing && (c === chosen.length || skippedAt[s] < chosenAt[c])) out.push(skipped[s++]);
    else out.push(chosen[c++]);
  }
  return out;
}

/** Puts new arrivals in at every tenth place from the third (one per ten items), keeping at most n. */
export function withNewArrivals(list: Pick[], arrivals: Pick[], n: number): Pick[] {
  const out = [...list];
  arrivals.slice(0, Math.max(1, Math.floor(n / 10))).forEach((a, s) => out.splice(Math.min(2 + s * 10, out.length), 0, a));
  return out.slice(0, n);
}

const ACTIONS: Record<string, (item: string) => string> = {
  purchase: (item) => `because you bought ${item}`,
  add_to_cart: (item) => `because you added ${item} to your cart`,
  favorite: (item) => `because you saved ${item}`,
  share: (item) => `because you shared ${item}`,
};

/** "because you viewed <item>", worded for what the user did with it. */
export const becauseOf = (type: string, item: string) => (ACTIONS[type] ?? ((i: string) => `because you viewed ${i}`))(item);

export const REASON_TRENDING = 'popular right now';
export const REASON_NEW = 'new arrival';
export const REASON_PICKED = 'picked for you';
