/**
 * The recommender's champion as its readers use it (recommend, a campaign's personal items,
 * the bench's baseline): the registry name, and from a version's metadata the item index, its
 * recency and whether it recalls, the model's input for a person's recent items, and which of
 * some items it knows.
 */
import { RECENT_LIMIT } from '#lib/featureStore/aggregate';
import type { ModelMeta, ModelRegistry } from '#models/registry';
import { recencyOf, type Recency } from '#models/shared/recency';

/**
 * The registry name the recommendation model is trained and served under, whichever family won
 * (meta.params.family); kept as first stored so existing registries load.
 */
export const RECOMMENDER_MODEL = 'ease';

export class RecommenderVersion {
  readonly index: Map<string, number>;
  readonly recency: Recency;
  /** Whether the model scores the history's neighbours (and what it is given), not every item. */
  readonly recalls: boolean;

  constructor(readonly meta: ModelMeta) {
    this.index = new Map(meta.itemIds.map((id, i) => [id, i]));
    this.recency = recencyOf(meta.params);
    this.recalls = Boolean(meta.params.recall);
  }

  get version(): string {
    return this.meta.version;
  }

  get items(): number {
    return this.meta.itemIds.length;
  }

  /** The model's input for a person: known items, each once at its newest position, oldest first. */
  history(recentNewestFirst: string[]): { indices: number[]; itemIds: string[] } {
    const seen = new Set<number>();
    const indices: number[] = [];
    const itemIds: string[] = [];
    for (const id of recentNewestFirst.slice(0, RECENT_LIMIT)) {
      const i = this.index.get(id);
      if (i === undefined || seen.has(i)) continue;
      seen.add(i);
      indices.push(i);
      itemIds.push(id);
    }
    return { indices: indices.reverse(), itemIds: itemIds.reverse() };
  }

  /** The items among `ids` the model knows, with their model indices: what it can be asked to score. */
  known(ids: string[]): { ids: string[]; indices: number[] } {
    const known = ids.filter((id) => this.index.has(id));
    return { ids: known, indices: known.map((id) => this.index.get(id)!) };
  }
}

/** The champion's version and graph, or undefined while none is promoted. */
export async function recommenderChampion(registry: ModelRegistry): Promise<{ version: RecommenderVersion; bytes: Buffer } | undefined> {
  const champion = await registry.champion(RECOMMENDER_MODEL);
  return champion && { version: new RecommenderVersion(champion.meta), bytes: champion.bytes };
}
