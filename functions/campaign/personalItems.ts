/**
 * The item a message names, per person: the top pick of the registered recommender champion over
 * the person's recent behaviour (the feature store), as recommend ranks it: never an item they
 * bought, just touched or that the catalogue says is unavailable. Worked out in the campaign
 * worker, a provider batch of people at a time, never through recommend's HTTP API.
 */
import { Catalog } from '#lib/catalog';
import { CATALOG_KEY } from '#lib/objectStore/keys';
import { unprocessable } from '#lib/errors';
import type { FeatureStore } from '#lib/featureStore';
import type { ObjectStore } from '#lib/objectStore';
import { RecommenderScorer } from '#models/recommender/scorer';
import { RECOMMENDER_MODEL, recommenderChampion, type RecommenderVersion } from '#models/recommender/served';
import { ModelRegistry } from '#models/registry';

export interface Item {
  id: string;
  title: string;
}

/** How far down the model's list to look for an item the person may be sent. */
const DEPTH = 50;

export class PersonalItems {
  private constructor(
    private readonly scorer: RecommenderScorer,
    private readonly model: RecommenderVersion,
    private readonly catalog: Catalog,
    private readonly features: FeatureStore,
  ) {}

  /** The champion and the catalogue; a 422 while no recommendation model is registered. */
  static async load(objects: ObjectStore, features: FeatureStore, campaignId: string): Promise<PersonalItems> {
    const champion = await recommenderChampion(new ModelRegistry(objects));
    if (!champion)
      throw unprocessable('no_model', `${campaignId} names items, but no ${RECOMMENDER_MODEL} model is registered yet (train runs daily)`);
    const catalogue = await objects.get(CATALOG_KEY);
    const catalog = catalogue ? Catalog.parse(catalogue.toString('utf8')).catalog : Catalog.empty;
    return new PersonalItems(await RecommenderScorer.load(champion.bytes), champion.version, catalog, features);
  }

  /** Each person's item, never one in their `skip` set; a person with no history the model knows, or nothing left to offer, has none. */
  async topFor(userIds: string[], skip: Set<string>[] = []): Promise<Map<string, Item>> {
    const histories = await Promise.all(userIds.map((id) => this.features.history(id)));
    const items = new Map<string, Item>();
    for (const [i, userId] of userIds.entries()) {
      const { recent, purchased } = histories[i];
      const touched = new Set([...purchased, ...recent.map((r) => r.itemId), ...(skip[i] ?? [])]);
      const history = this.model.history(recent.map((r) => r.itemId)).indices;
      if (history.length === 0) continue;
      const { top } = await this.scorer.top(history, this.model.recency, Math.min(DEPTH, this.model.items));
      const pick = [...top.items].map((k) => this.model.meta.itemIds[k]).find((id) => !touched.has(id) && this.catalog.available(id));
      if (pick) items.set(userId, { id: pick, title: this.catalog.label(pick) });
    }
    return items;
  }
}
