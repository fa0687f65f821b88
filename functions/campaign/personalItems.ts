/**
 * The item a message names, per person: the top pick of the registered EASE champion over the
 * person's recent behaviour (the feature store), as recommend ranks it: never an item they
 * bought, just touched or that the catalogue says is unavailable. Worked out in the campaign
 * worker, a provider batch of people at a time, never through recommend's HTTP API.
 */
import { Catalog, CATALOG_KEY } from '#lib/catalog';
import { unprocessable } from '#lib/errors';
import type { FeatureStore } from '#lib/featureStore';
import { RECENT_LIMIT } from '#lib/featureStore/aggregate';
import type { ObjectStore } from '#lib/objectStore';
import { NO_RECENCY, type Recency } from '#models/ease/ease';
import { EaseScorer, MODEL_NAME } from '#models/ease/serving';
import { ModelRegistry, type ModelMeta } from '#models/registry';

export interface Item {
  id: string;
  title: string;
}

/** How far down the model's list to look for an item the person may be sent. */
const DEPTH = 50;

export class PersonalItems {
  private constructor(
    private readonly scorer: EaseScorer,
    private readonly meta: ModelMeta,
    private readonly index: Map<string, number>,
    private readonly catalog: Catalog,
    private readonly features: FeatureStore,
  ) {}

  /** The champion and the catalogue; a 422 while no recommendation model is registered. */
  static async load(objects: ObjectStore, features: FeatureStore, campaignId: string): Promise<PersonalItems> {
    const registry = new ModelRegistry(objects);
    const current = await registry.current(MODEL_NAME);
    const [meta, model] = current ? await Promise.all([registry.meta(MODEL_NAME, current.version), registry.model(MODEL_NAME, current.version)]) : [];
    if (!meta || !model) throw unprocessable('no_model', `${campaignId} names items, but no ${MODEL_NAME} model is registered yet (train runs daily)`);
    const catalogue = await objects.get(CATALOG_KEY);
    const catalog = catalogue ? Catalog.parse(catalogue.toString('utf8')).catalog : Catalog.empty;
    return new PersonalItems(await EaseScorer.load(model), meta, new Map(meta.itemIds.map((id, i) => [id, i])), catalog, features);
  }

  /** Each person's item, never one in their `skip` set; a person with no history the model knows, or nothing left to offer, has none. */
  async topFor(userIds: string[], skip: Set<string>[] = []): Promise<Map<string, Item>> {
    const histories = await Promise.all(userIds.map((id) => this.features.history(id)));
    const recency = (this.meta.params.recency as Recency | undefined) ?? NO_RECENCY;
    const items = new Map<string, Item>();
    for (const [i, userId] of userIds.entries()) {
      const { recent, purchased } = histories[i];
      const touched = new Set([...purchased, ...recent.map((r) => r.itemId), ...(skip[i] ?? [])]);
      const history = [...new Set(recent.slice(0, RECENT_LIMIT).map((r) => this.index.get(r.itemId)).filter((x): x is number => x !== undefined))].reverse();
      if (history.length === 0) continue;
      const { top } = await this.scorer.top(history, recency, Math.min(DEPTH, this.meta.itemIds.length));
      const pick = [...top.items].map((k) => this.meta.itemIds[k]).find((id) => !touched.has(id) && this.catalog.available(id));
      if (pick) items.set(userId, { id: pick, title: this.catalog.label(pick) });
    }
    return items;
  }
}
