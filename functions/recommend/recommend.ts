/**
 * The recommend use case. Recall: the model's neighbours of the user's recent behaviour,
 * trending items, new arrivals (or only the caller's candidates). Ranking: the served ONNX
 * model. Then the rules: nothing bought, excluded or unavailable, variety across categories.
 * Every dependency gets a slice of the request's budget; when one fails or is late, the
 * answer degrades and says why in `fallback`, and never fails for it.
 */
import { within } from '#lib/deadline';
import type { FeatureStore, ScoredItem, UserHistory } from '#lib/featureStore';
import type { Logger } from '#lib/log';
import type { MetricsRecorder } from '#lib/metrics';
import type { TopItems } from '#models/ease/serving';
import type { RecommendRequest } from './request';
import type { Catalog } from './catalog';
import { becauseOf, diversify, listRanking, REASON_NEW, REASON_PICKED, REASON_TRENDING, withNewArrivals, type Pick, type Ranking } from './rules';
import { modelHistory, type ServedModel, type ServingState } from './servingState';
import type { TrendingItems } from './trending';

export type Fallback = 'no_model' | 'feature_store_unavailable' | 'model_error';

export interface RecommendDeps {
  features: FeatureStore;
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

/** Stage durations for the Server-Timing header. */
export class Stages {
  private readonly started = performance.now();
  private last = this.started;
  private readonly marks: [string, number][] = [];

  mark(stage: string): void {
    const t = performance.now();
    this.marks.push([stage, t - this.last]);
    this.last = t;
  }

  get elapsedMs(): number {
    return performance.now() - this.started;
  }

  header(): string {
    return [...this.marks, ['total', this.elapsedMs] as [string, number]].map(([s, ms]) => `${s};dur=${ms.toFixed(2)}`).join(', ');
  }
}

const TRENDING_TOP_UP = 100;
const round = (x: number) => Math.round(x * 1e6) / 1e6;

export function recommend(deps: RecommendDeps, req: RecommendRequest, stages = new Stages()): Promise<RecommendResponse> {
  deps.state.checkIfDue();
  // Held for the whole request, so a swap meanwhile cannot release the session under it.
  const model = deps.state.model;
  return model ? model.use((m) => answer(deps, req, stages, m)) : answer(deps, req, stages, undefined);
}

async function answer(deps: RecommendDeps, req: RecommendRequest, stages: Stages, model: ServedModel | undefined): Promise<RecommendResponse> {
  const catalog = deps.state.catalog;

  const [history, trendingNow] = await Promise.all([
    within(deps.features.history(req.userKey), deps.featureBudgetMs).catch((err: Error) => {
      deps.logger.warn('feature store unavailable; ranking on what the request carries', { err: err.message });
      return undefined;
    }),
    deps.trending.get(deps.featureBudgetMs),
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
    const input = modelHistory(model, recentIds);
    if (input.indices.length > 0) {
      const k = Math.min(model.items, req.n * 4 + blocked.size + 20);
      const scored = await within(
        model.scorer.top(input.indices, model.recency, k, req.candidates !== undefined),
        deps.budgetMs - stages.elapsedMs,
      ).catch((err: Error) => {
        deps.logger.warn('model failed; answering trending', { err: err.message, version: model.version });
        return undefined;
      });
      if (!scored) fallback = 'model_error';
      else if (req.candidates) ranking = listRanking(rankCandidates(model, scored, input.itemIds, trending, req.candidates), visiblePick, categoryOf);
      else ranking = modelRanking(model, scored.top, input.itemIds, trending, blocked, catalog);
    }
    stages.mark('model');
  }

  ranking ??= listRanking(
    req.candidates ? candidatesByTrend(req.candidates, trending) : trending.map(({ itemId, score }) => ({ itemId, score, reason: REASON_TRENDING })),
    visiblePick,
    categoryOf,
  );
  let items = diversify(ranking, req.n);
  if (!req.candidates) {
    const inList = new Set(items.map((p) => p.itemId));
    const arrivals = catalog.newArrivals(req.n, deps.clock()).filter((id) => visible(id) && !inList.has(id));
    items = withNewArrivals(items, arrivals.map((itemId) => ({ itemId, score: 0, reason: REASON_NEW })), req.n);
  }
  stages.mark('rules');

  deps.metrics.count('Recommendations', 1, { fallback: fallback ?? 'none' });
  const reasonOf = (p: Pick) => (p.because === undefined ? p.reason : becauseOf(typeOf.get(p.because) ?? 'page_view', catalog.label(p.because)));
  return {
    items: items.map((p) => ({ item_id: p.itemId, score: round(p.score), reason: reasonOf(p) })),
    model_version: model && fallback !== 'model_error' ? model.version : null,
    fallback,
    took_ms: Number(stages.elapsedMs.toFixed(2)),
  };
}

/** The user's recent items, newest first: what the request carries, then the feature store's. */
function recentOf(req: RecommendRequest, history: UserHistory | undefined) {
  const typeOf = new Map<string, string>();
  for (const id of req.recent) if (!typeOf.has(id)) typeOf.set(id, 'page_view');
  for (const r of history?.recent ?? []) if (!typeOf.has(r.itemId)) typeOf.set(r.itemId, r.type);
  return { recentIds: [...typeOf.keys()], typeOf };
}

/**
 * The model's top k in its order, then the trending items outside it, in trending order: the
 * rules reach that tail only when the variety cap or blocked items leave the top k short.
 * A model pick keeps the history item that contributed most, from which its reason is worded
 * once the list is final.
 */
function modelRanking(model: ServedModel, top: TopItems, historyIds: string[], trending: ScoredItem[], blocked: Set<string>, catalog: Catalog): Ranking {
  const k = top.items.length;
  const facts = catalog.indexedBy(model.meta.itemIds);
  const idAt = (i: number) => (i < k ? model.meta.itemIds[top.items[i]] : trending[i - k].itemId);
  const inTop = (itemId: string) => {
    const item = model.index.get(itemId);
    return item !== undefined && top.items.includes(item);
  };
  return {
    length: k + Math.min(trending.length, TRENDING_TOP_UP),
    allowed: (i) => {
      const itemId = idAt(i);
      return (i < k ? facts.available[top.items[i]] === 1 : catalog.available(itemId) && !inTop(itemId)) && !blocked.has(itemId);
    },
    category: (i) => (i < k ? facts.category[top.items[i]] : catalog.category(idAt(i))),
    pick: (i) => (i < k ? modelPick(model, top, historyIds, i) : { itemId: idAt(i), score: 0, reason: REASON_TRENDING }),
  };
}

function modelPick(model: ServedModel, top: TopItems, historyIds: string[], i: number): Pick {
  const score = top.scores[i];
  return { itemId: model.meta.itemIds[top.items[i]], score, reason: REASON_PICKED, because: score > 0 ? historyIds[top.because[i]] : undefined };
}

/** The caller's candidates by model score: those in the top k with their reasons, the rest scored from every item's score. */
function rankCandidates(model: ServedModel, ranked: { top: TopItems; scores?: Float32Array }, historyIds: string[], trending: ScoredItem[], candidates: string[]): Pick[] {
  const byId = new Map<string, Pick>();
  for (let i = 0; i < ranked.top.items.length; i++) {
    const pick = modelPick(model, ranked.top, historyIds, i);
    byId.set(pick.itemId, pick);
  }
  const beyondTop = candidatesByTrend(candidates.filter((id) => !byId.has(id)), trending).map((p) => {
    const i = model.index.get(p.itemId);
    return { ...p, score: i === undefined ? 0 : ranked.scores![i] };
  });
  return [...candidates.filter((id) => byId.has(id)).map((id) => byId.get(id)!), ...beyondTop].sort((a, b) => b.score - a.score);
}

/** The caller's candidates in trending order, when there is no model signal. */
function candidatesByTrend(candidates: string[], trending: ScoredItem[]): Pick[] {
  const score = new Map(trending.map((t) => [t.itemId, t.score]));
  return candidates
    .map((itemId) => ({ itemId, score: score.get(itemId) ?? 0, reason: score.has(itemId) ? REASON_TRENDING : REASON_PICKED }))
    .sort((a, b) => b.score - a.score);
}
