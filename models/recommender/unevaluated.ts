/** Registry metadata of recommendation models that were not trained by `train` (synthetic data: benchmarks, tests). */
import { modelMeta, type ModelMeta } from '#models/registry';
import { RECOMMENDER_MODEL } from './served';

/** The metadata of a version registered without an evaluation; EASE's unless `params` say otherwise. */
export function unevaluatedMeta(o: {
  version: string;
  itemIds: string[];
  popular: string[];
  lambda?: number;
  source: string;
  params?: Record<string, unknown>;
}): ModelMeta {
  const params = o.params ?? { lambda: o.lambda, recency: { boost: 1, tau: 5 } };
  return modelMeta(
    {
      name: RECOMMENDER_MODEL,
      version: o.version,
      evaluation: { id: o.source, protocol: 'none', users: 0 },
      metrics: {},
      dataWindow: { source: o.source },
      params,
      itemIds: o.itemIds,
      popular: o.popular,
      codeVersion: o.source,
    },
    new Date(),
  );
}
