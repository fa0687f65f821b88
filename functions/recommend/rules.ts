/** Business rules applied after ranking: what may never be shown, and variety across categories. */

export interface Pick {
  itemId: string;
  score: number;
  reason: string;
  /** For a model pick: the history item that contributed most (the reason is worded from it at the end). */
  because?: string;
}

/**
 * Ranked candidates, read by position in rank order. The rules ask each one's fitness and
 * category, and build a Pick only for those that make the list: a model ranks dozens of
 * items for every ten shown, and most of them are never more than a position here.
 */
export interface Ranking {
  readonly length: number;
  /** False for what may not be shown (bought, excluded, unavailable, already ranked higher). */
  allowed(position: number): boolean;
  /** Undefined for an item in no known category (not capped). */
  category(position: number): string | undefined;
  pick(position: number): Pick;
}

/** A Ranking over a list of picks already built. */
export function listRanking(picks: Pick[], allowed: (pick: Pick) => boolean, categoryOf: (pick: Pick) => string | undefined): Ranking {
  return { length: picks.length, allowed: (i) => allowed(picks[i]), category: (i) => categoryOf(picks[i]), pick: (i) => picks[i] };
}

/** At most this many items of one category in a list of n (unknown categories are not capped). */
export const categoryCap = (n: number) => Math.max(1, Math.ceil(n * 0.3));

/**
 * Takes n allowed candidates in rank order, skipping one once its category is at the cap, then
 * fills any shortfall from the skipped ones in rank order: variety first, never an emptier list.
 * The ranking is read only as far as needed.
 */
export function diversify(ranking: Ranking, n: number): Pick[] {
  const cap = categoryCap(n);
  const perCategory = new Map<string, number>();
  const chosen: number[] = [];
  const skipped: number[] = [];
  for (let i = 0; i < ranking.length && chosen.length < n; i++) {
    if (!ranking.allowed(i)) continue;
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
  const positions = chosen.length === n || skipped.length === 0 ? chosen : chosen.concat(skipped.slice(0, n - chosen.length)).sort((a, b) => a - b);
  return positions.map((i) => ranking.pick(i));
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
