/**
 * EASE alone in the served recommendation graph (models/recommender/graph.ts). The names here
 * are kept for the code that imports them (campaign's personal items, benchmarks).
 */
import { exportRecommender } from '#models/recommender/graph';
import type { EaseModel } from './ease';

/** The registry name the recommendation model is trained and served under, whichever family it is (meta.params.family). */
export const MODEL_NAME = 'ease';

export function exportEase(model: EaseModel, metadata: Record<string, string> = {}): Buffer {
  return exportRecommender({ items: model.items, ease: { model, weight: 1 } }, metadata);
}

export { RecommenderScorer as EaseScorer, historyWeights, type Scorer, type TopItems } from '#models/recommender/scorer';
