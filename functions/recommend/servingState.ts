/**
 * What a recommend instance serves from: the champion model (ONNX session + id mappings)
 * and the catalogue, loaded once per instance and swapped in place when the registry
 * promotes a new version or the catalogue changes. Checks ride on requests (an idle FC
 * instance is frozen, so a background timer would not run) and never delay them: the new
 * model loads beside the old one, and the old session is released only after the last
 * request using it has finished.
 */
import type { Logger } from '#lib/log';
import type { ObjectStore } from '#lib/objectStore';
import { startThread } from '#lib/threads';
import { RECOMMENDER_MODEL, RecommenderVersion } from '#models/recommender/served';
import { OffThreadScorer } from '#models/recommender/offThread';
import type { Scorer } from '#models/recommender/scorer';
import { ModelRegistry, type ModelMeta } from '#models/registry';
import { Catalog } from '#lib/catalog';
import { CATALOG_KEY } from '#lib/objectStore/keys';

export class ServedModel extends RecommenderVersion {
  private users = 0;
  private retired = false;
  private released = false;

  constructor(
    meta: ModelMeta,
    readonly scorer: Scorer,
  ) {
    super(meta);
  }

  /**
   * Runs `work` with the session held open, even if a newer model is swapped in meanwhile (call it
   * synchronously after reading `ServingState.model`).
   */
  async use<T>(work: (model: ServedModel) => Promise<T>): Promise<T> {
    this.users++;
    try {
      return await work(this);
    } finally {
      this.users--;
      this.releaseIfIdle();
    }
  }

  retire(): void {
    this.retired = true;
    this.releaseIfIdle();
  }

  private releaseIfIdle(): void {
    if (!this.retired || this.users > 0 || this.released) return;
    this.released = true;
    void this.scorer.release().catch(() => undefined);
  }
}

export interface ServingStateOptions {
  store: ObjectStore;
  checkEveryMs: number;
  logger: Logger;
  clock?: () => number;
}

export class ServingState {
  model?: ServedModel;
  catalog: Catalog = Catalog.empty;
  private readonly registry: ModelRegistry;
  private catalogTag?: string;
  private checkedAt = -Infinity;
  private checking?: Promise<void>;
  private closed = false;
  private readonly clock: () => number;

  constructor(private readonly o: ServingStateOptions) {
    this.registry = new ModelRegistry(o.store);
    this.clock = o.clock ?? Date.now;
  }

  /** Loads the champion and the catalogue now (the initializer hook); a missing model is not an error. */
  load(): Promise<void> {
    this.checkedAt = this.clock();
    this.checking ??= this.refresh().finally(() => (this.checking = undefined));
    return this.checking;
  }

  /** Releases the model (its thread) once the requests using it have finished: the instance is stopping. */
  close(): void {
    this.closed = true;
    this.model?.retire();
    this.model = undefined;
  }

  /** Starts a check in the background when the last one is older than the interval. */
  checkIfDue(): void {
    if (this.closed || this.checking || this.clock() - this.checkedAt < this.o.checkEveryMs) return;
    this.load().catch((err) => this.o.logger.warn('model check failed; serving the loaded version', { err }));
  }

  private async refresh(): Promise<void> {
    await Promise.all([this.refreshModel(), this.refreshCatalog()]);
  }

  private async refreshModel(): Promise<void> {
    const pointer = await this.registry.current(RECOMMENDER_MODEL);
    if (!pointer || pointer.version === this.model?.version) return;
    const champion = await this.registry.champion(RECOMMENDER_MODEL);
    if (!champion) return;
    const { meta, bytes } = champion;
    const scorer = await OffThreadScorer.load(bytes, (options) => startThread(__dirname, 'scorer', options));
    await scorer.top([0], undefined, 10); // the first run allocates; keep that off a user's request
    if (this.closed) return void scorer.release();
    const next = new ServedModel(meta, scorer);
    const previous = this.model;
    this.model = next;
    previous?.retire();
    this.o.logger.info('model loaded', { version: next.version, items: next.items, replaced: previous?.version });
  }

  private async refreshCatalog(): Promise<void> {
    const [listed] = (await this.o.store.list(CATALOG_KEY, { limit: 1 })).objects.filter((o) => o.key === CATALOG_KEY);
    if (!listed || listed.eTag === this.catalogTag) return;
    const body = await this.o.store.get(CATALOG_KEY);
    if (!body) return;
    const { catalog, skipped } = Catalog.parse(body.toString('utf8'));
    if (skipped > 0) this.o.logger.warn('catalogue lines skipped', { skipped });
    this.catalog = catalog;
    this.catalogTag = listed.eTag;
  }
}
