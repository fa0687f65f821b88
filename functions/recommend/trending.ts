/**
 * Trending items, shared by every request on an instance: read from the feature store at
 * most every few seconds, and kept when the store is down, so the trending fallback still
 * answers then. Before the first good read it falls back to the model's own best sellers.
 */
import { within } from '#lib/deadline';
import type { FeatureStore, ScoredItem } from '#lib/featureStore';

const FRESH_MS = 5_000;
export const TRENDING_DEPTH = 200;

export class TrendingItems {
  private items: ScoredItem[] = [];
  private readAt = -Infinity;
  private reading?: Promise<void>;

  constructor(
    private readonly features: FeatureStore,
    private readonly clock: () => number,
  ) {}

  /** Whether the instance's list is recent enough to answer without reading the store. */
  get fresh(): boolean {
    return this.items.length > 0 && this.clock() - this.readAt < FRESH_MS;
  }

  /** The freshest list available within `budgetMs`; never throws. */
  async get(budgetMs: number): Promise<ScoredItem[]> {
    if (this.clock() - this.readAt >= FRESH_MS) {
      this.reading ??= this.read().finally(() => (this.reading = undefined));
      // Only the first read is waited for; later ones refresh in the background.
      if (this.items.length === 0) await within(this.reading, budgetMs).catch(() => undefined);
    }
    return this.items;
  }

  private async read(): Promise<void> {
    const started = this.clock();
    try {
      const items = await this.features.trending(TRENDING_DEPTH, started);
      if (items.length > 0) this.items = items;
      this.readAt = started;
    } catch {
      this.readAt = started - FRESH_MS / 2; // retry sooner than a good read would
    }
  }
}
