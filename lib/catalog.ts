/**
 * The shop's item catalogue, as recommend and campaigns read it: category (for diversity),
 * availability (never recommend or message what cannot be bought), listing time (new arrivals)
 * and title (what a message names). The shop's systems keep
 * it in the object store as JSON lines, one item a line:
 *   {"item_id":"sku-1","category":"shoes","available":true,"listed_at":"2026-11-20T10:00:00+08:00","title":"..."}
 * Items missing from it are treated as available, in no category.
 */
const NEW_ITEM_DAYS = 14;

export interface CatalogItem {
  category?: string;
  available: boolean;
  listedAt?: number;
  title?: string;
}

/** The catalogue's facts in one model's item order, so the rules look ranked items up by index. */
export interface CatalogIndex {
  category: (string | undefined)[];
  /** 1 where the item may be shown. */
  available: Uint8Array;
}

export class Catalog {
  static readonly empty = new Catalog(new Map(), []);
  private readonly indexes = new WeakMap<readonly string[], CatalogIndex>();

  private constructor(
    private readonly items: Map<string, CatalogItem>,
    /** Available items, newest listing first. */
    private readonly byListing: string[],
  ) {}

  /** Parses the JSON lines; a malformed line is skipped and counted, never fatal. */
  static parse(text: string): { catalog: Catalog; skipped: number } {
    const items = new Map<string, CatalogItem>();
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const raw = JSON.parse(line) as Record<string, unknown>;
        if (typeof raw.item_id !== 'string' || !raw.item_id) {
          skipped++;
          continue;
        }
        const listedAt = typeof raw.listed_at === 'string' ? Date.parse(raw.listed_at) : NaN;
        items.set(raw.item_id, {
          category: typeof raw.category === 'string' ? raw.category : undefined,
          available: raw.available !== false,
          listedAt: Number.isNaN(listedAt) ? undefined : listedAt,
          title: typeof raw.title === 'string' ? raw.title : undefined,
        });
      } catch {
        skipped++;
      }
    }
    const byListing = [...items]
      .filter(([, item]) => item.available && item.listedAt !== undefined)
      .sort(([, a], [, b]) => b.listedAt! - a.listedAt!)
      .map(([id]) => id);
    return { catalog: new Catalog(items, byListing), skipped };
  }

  get size(): number {
    return this.items.size;
  }

  available(itemId: string): boolean {
    return this.items.get(itemId)?.available ?? true;
  }

  category(itemId: string): string | undefined {
    return this.items.get(itemId)?.category;
  }

  /** The facts in the order of `itemIds` (a model's items), worked out once per model and catalogue. */
  indexedBy(itemIds: readonly string[]): CatalogIndex {
    let index = this.indexes.get(itemIds);
    if (!index) {
      index = { category: itemIds.map((id) => this.category(id)), available: Uint8Array.from(itemIds, (id) => Number(this.available(id))) };
      this.indexes.set(itemIds, index);
    }
    return index;
  }

  /** How a reason names the item: its title when the catalogue has one. */
  label(itemId: string): string {
    return this.items.get(itemId)?.title ?? itemId;
  }

  /** Available items listed in the last two weeks, newest first. */
  newArrivals(limit: number, nowMs: number): string[] {
    const since = nowMs - NEW_ITEM_DAYS * 24 * 3600_000;
    const out: string[] = [];
    for (const id of this.byListing) {
      const listedAt = this.items.get(id)!.listedAt!;
      if (listedAt > nowMs) continue;
      if (listedAt < since || out.length >= limit) break;
      out.push(id);
    }
    return out;
  }
}
