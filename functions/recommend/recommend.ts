/**
 * The recommend use case. Recall: the model's neighbours of the user's recent behaviour (every
 * item, for a small catalogue), trending items, new arrivals (or only the caller's candidates).
 * Ranking: the served ONNX model. Then the rules: nothing bought, excluded or unavailable,
 * variety across categories, and what a campaign just messaged the person about comes last.
 * Every dependency gets a slice of the request's budget; when one fails or is late, the
 * answer degrades and says why in `fallback`, and never fails for it.
 */
import { DeadlineExceeded, within } from '#lib/deadline';
import { Stages } from '#lib/fc/serverTiming';
import type { FeatureStore, UserHistory } from '#lib/featureStore';
import type { Catalog } from '#lib/catalog';
import type { Logger } from '#lib/log';
import type { MetricsRecorder } from '#lib/metrics';
import type { RecommendRequest } from './request';
import {
  becauseOf,
  candidatesByTrend,
  listRanking,
  modelRanking,
  rankCandidates,
  REASON_NEW,
  REASON_TRENDING,
  TRENDING_TOP_UP,
  type Pick,
  type Ranking,
} from './ranking';
import { diversify, withNewArrivals } from './rules';
import type { MessagedItems } from './messaged';
import type { ServedModel, ServingState } from './servingState';
import type { TrendingItems } from './trending';

export type Fallback = 'no_model' | 'feature_store_unavailable' | 'model_error';

export interface RecommendDeps {
  features: FeatureStore;
  messaged: MessagedItems;
  state: ServingState;
  trending: TrendingItems;
  metrics: MetricsRecorder;
  logger: Logger;
  clock: () => number;
  budgetMs: number;
  featureBudgetMs: number;
}

export interface RecommendResponse {
  items: { item_id: string; score: number; reason: string }[];
  model_version: string | null;
  fallback: Fallback | null;
  took_ms: number;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

export function recommend(deps: RecommendDeps, req: RecommendRequest, stages = new Stages()): Promise<RecommendResponse> {
  deps.state.checkIfDue();
  // Held for the whole request, so a swap meanwhile cannot release the session under it.
  const model = deps.state.model;
  return model ? model.use((m) => answer(deps, req, stages, m)) : answer(deps, req, stages, undefined);
}

async function answer(
  deps: RecommendDeps,
  req: RecommendRequest,
  stages: Stages,
  model: ServedModel | undefined,
): Promise<RecommendResponse> {
  const catalog = deps.state.catalog;
  const trendingFresh = deps.trending.fresh;

  const [history, trendingNow, messaged] = await Promise.all([
    historyWithin(deps, req.userKey),
    deps.trending.get(deps.featureBudgetMs),
    deps.messaged.of(req.userKey, deps.featureBudgetMs),
  ]);
  stages.mark('features');
  let fallback: Fallback | null = history ? null : 'feature_store_unavailable';
  const trending = trendingNow.length > 0 ? trendingNow : (model?.meta.popular ?? []).map((itemId, i) => ({ itemId, score: 1 / (i + 1) }));

  const { recentIds, typeOf } = recentOf(req, history);
  const blocked = new Set([...(history?.purchased ?? []), ...req.exclude, ...recentIds]);
  const visible = (id: string) => !blocked.has(id) && catalog.available(id);
  const visiblePick = (p: Pick) => visible(p.itemId);
  const categoryOf = (p: Pick) => catalog.category(p.itemId);

  let ranking: Ranking | undefined;
  if (!model) fallback = 'no_model';
  else {
    const input = model.history(recentIds);
    if (input.indices.length > 0) {
      const k = Math.min(model.items, req.n * 4 + blocked.size + 20);
      // A model that recalls from neighbours ranks the trending items too; the caller's candidates are always scored.
      const asked = req.candidates ?? (model.recalls ? trending.slice(0, TRENDING_TOP_UP).map((t) => t.itemId) : undefined);
      const known = asked && model.known(asked);
      const scored = await within(
        model.scorer.top(input.indices, model.recency, k, known?.indices),
        deps.budgetMs - stages.elapsedMs,
      ).catch((err: Error) => {
        deps.logger.warn('model failed; answering trending', { err: err.message, version: model.version });
        return undefined;
      });
      if (!scored) fallback = 'model_error';
      else if (req.candidates)
        ranking = listRanking(rankCandidates(model, scored, known!.ids, input.itemIds, trending, req.candidates), visiblePick, categoryOf);
      else ranking = modelRanking(model, scored.top, input.itemIds, trending, blocked, catalog);
    }
    stages.mark('model');
  }

  ranking ??= listRanking(
    req.candidates
      ? candidatesByTrend(req.candidates, trending)
      : trending.map(({ itemId, score }) => ({ itemId, score, reason: REASON_TRENDING })),
    visiblePick,
    categoryOf,
  );
  let items = diversify(ranking, req.n, messaged);
  if (!req.candidates) {
    const inList = new Set(items.map((p) => p.itemId));
    const arrivals = catalog.newArrivals(req.n, deps.clock()).filter((id) => visible(id) && !inList.has(id) && !messaged.has(id));
    items = withNewArrivals(
      items,
      arrivals.map((itemId) => ({ itemId, score: 0, reason: REASON_NEW })),
      req.n,
    );
  }
  stages.mark('rules');

  recordServing(deps, model, catalog, trendingFresh, fallback);
  const reasonOf = (p: Pick) =>
    p.because === undefined ? p.reason : becauseOf(typeOf.get(p.because) ?? 'page_view', catalog.label(p.because));
  return {
    items: items.map((p) => ({ item_id: p.itemId, score: round(p.score), reason: reasonOf(p) })),
    model_version: model && fallback !== 'model_error' ? model.version : null,
    fallback,
    took_ms: Number(stages.elapsedMs.toFixed(2)),
  };
}

/**
 * The person's history within the feature budget, or undefined. A store that answers after the
 * budget is slow, not down: it is counted as an overrun and logged as slow once it answers.
 */
function historyWithin(deps: RecommendDeps, userKey: string): Promise<UserHistory | undefined> {
  const askedAt = performance.now();
  const asked = deps.features.history(userKey);
  const unavailable = (err: Error) =>
    deps.logger.warn('feature store unavailable; ranking on what the request carries', { err: err.message });
  return within(asked, deps.featureBudgetMs).catch((err: Error) => {
    if (!(err instanceof DeadlineExceeded)) unavailable(err);
    else {
      deps.metrics.count('FeatureBudgetOverruns', 1, { function: 'recommend' });
      asked.then(
        () =>
          deps.logger.warn('feature store slow; ranked on what the request carries', {
            budgetMs: deps.featureBudgetMs,
            answeredMs: Math.round(performance.now() - askedAt),
          }),
        unavailable,
      );
    }
    return undefined;
  });
}

/** Requests by fallback, the version served, and how often the instance's caches answered (model, catalogue, trending). */
function recordServing(
  deps: RecommendDeps,
  model: ServedModel | undefined,
  catalog: Catalog,
  trendingFresh: boolean,
  fallback: Fallback | null,
) {
  deps.metrics.count('Recommendations', 1, { fallback: fallback ?? 'none' });
  deps.metrics.observe('FallbackRate', fallback ? 1 : 0, { function: 'recommend' });
  if (model) deps.metrics.gauge('ModelServed', 1, { model: model.meta.name, version: model.version });
  deps.metrics.observe('CacheHitRate', model ? 1 : 0, { cache: 'model' });
  deps.metrics.observe('CacheHitRate', catalog.size > 0 ? 1 : 0, { cache: 'catalogue' });
  deps.metrics.observe('CacheHitRate', trendingFresh ? 1 : 0, { cache: 'trending' });
}

/** The user's recent items, newest first: what the request carries, then the feature store's. */
function recentOf(req: RecommendRequest, history: UserHistory | undefined) {
  const typeOf = new Map<string, string>();
  for (const id of req.recent) if (!typeOf.has(id)) typeOf.set(id, 'page_view');
  for (const r of history?.recent ?? []) if (!typeOf.has(r.itemId)) typeOf.set(r.itemId, r.type);
  return { recentIds: [...typeOf.keys()], typeOf };
}
