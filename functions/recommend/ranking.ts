/**
 * Recommend's ranking: what the model (or, without it, trending) makes of a user's history,
 * as a Ranking the rules read by position, with each pick's reason.
 */
import type { ScoredItem } from '#lib/featureStore';
import type { Ranked, TopItems } from '#models/recommender/scorer';
import type { Catalog } from '#lib/catalog';
import type { ServedModel } from './servingState';

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
  itemId(position: number): string;
  /** False for what may not be shown (bought, excluded, unavailable, already ranked higher). */
  allowed(position: number): boolean;
  /** Undefined for an item in no known category (not capped). */
  category(position: number): string | undefined;
  pick(position: number): Pick;
}

/** A Ranking over a list of picks already built. */
export function listRanking(picks: Pick[], allowed: (pick: Pick) => boolean, categoryOf: (pick: Pick) => string | undefined): Ranking {
  return {
    length: picks.length,
    itemId: (i) => picks[i].itemId,
    allowed: (i) => allowed(picks[i]),
    category: (i) => categoryOf(picks[i]),
    pick: (i) => picks[i],
  };
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

export const TRENDING_TOP_UP = 100;

/**
 * The model's top k in its order, then the trending items outside it, in trending order: the
 * rules reach that tail only when the variety cap or blocked items leave the top k short.
 * A model pick keeps the history item that contributed most, from which its reason is worded
 * once the list is final.
 */
export function modelRanking(
  model: ServedModel,
  top: TopItems,
  historyIds: string[],
  trending: ScoredItem[],
  blocked: Set<string>,
  catalog: Catalog,
): Ranking {
  const k = top.items.length;
  const facts = catalog.indexedBy(model.meta.itemIds);
  const idAt = (i: number) => (i < k ? model.meta.itemIds[top.items[i]] : trending[i - k].itemId);
  const inTop = (itemId: string) => {
    const item = model.index.get(itemId);
    return item !== undefined && top.items.includes(item);
  };
  return {
    length: k + Math.min(trending.length, TRENDING_TOP_UP),
    itemId: idAt,
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
  return {
    itemId: model.meta.itemIds[top.items[i]],
    score,
    reason: REASON_PICKED,
    because: score > 0 ? historyIds[top.because[i]] : undefined,
  };
}

/**
 * The caller's candidates by model score: those in the top k with their reasons, the rest by the
 * scores the model gave `scoredIds` (in `ranked.candidateScores`' order), unknown ones 0.
 */
export function rankCandidates(
  model: ServedModel,
  ranked: Ranked,
  scoredIds: string[],
  historyIds: string[],
  trending: ScoredItem[],
  candidates: string[],
): Pick[] {
  const byId = new Map<string, Pick>();
  for (let i = 0; i < ranked.top.items.length; i++) {
    const pick = modelPick(model, ranked.top, historyIds, i);
    byId.set(pick.itemId, pick);
  }
  const scoreOf = new Map(scoredIds.map((id, i) => [id, ranked.candidateScores![i]]));
  const beyondTop = candidatesByTrend(
    candidates.filter((id) => !byId.has(id)),
    trending,
  ).map((p) => ({ ...p, score: scoreOf.get(p.itemId) ?? 0 }));
  return [...candidates.filter((id) => byId.has(id)).map((id) => byId.get(id)!), ...beyondTop].sort((a, b) => b.score - a.score);
}

/** The caller's candidates in trending order, when there is no model signal. */
export function candidatesByTrend(candidates: string[], trending: ScoredItem[]): Pick[] {
  const score = new Map(trending.map((t) => [t.itemId, t.score]));
  return candidates
    .map((itemId) => ({ itemId, score: score.get(itemId) ?? 0, reason: score.has(itemId) ? REASON_TRENDING : REASON_PICKED }))
    .sort((a, b) => b.score - a.score);
}
