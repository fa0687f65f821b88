/** Registry metadata of recommendation models that were not trained by `train` (kept out of serving.ts: the model thread loads that). */
import { modelMeta, type ModelMeta } from '#models/registry';
import { MODEL_NAME } from './serving';

/** The metadata of a version registered without an evaluation (synthetic data: benchmarks, tests); EASE's unless `params` say otherwise. */
export function unevaluatedMeta(o: { version: string; itemIds: string[]; popular: string[]; lambda?: number; source: string; params?: Record<string, unknown> }): ModelMeta {
  const params = o.params ?? { lambda: o.lambda, recency: { boost: 1, tau: 5 } };
  return modelMeta(
    { name: MODEL_NAME, version: o.version, evaluation: { id: o.source, protocol: 'none', users: 0 }, metrics: {}, dataWindow: { source: o.source }, params, itemIds: o.itemIds, popular: o.popular, codeVersion: o.source },
    new Date(),
  );
}
