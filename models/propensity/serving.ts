/**
 * The served propensity model: one ONNX graph from raw features to p(purchase within the
 * horizon). Standardisation is part of the graph, so callers pass `propensityFeatures` as is.
 */
import type { Standardisation } from '#models/shared/standardisation';
import { RowScorer } from '#models/onnx/rowScorer';
import { buildModel } from '#models/onnx/builder';
import type { Logistic } from '#models/shared/logistic';

/** The registry name the propensity model is trained and served under. */
export const PROPENSITY_MODEL = 'propensity';

export function exportPropensity(model: Logistic, scale: Standardisation, metadata: Record<string, string> = {}): Buffer {
  const d = model.weights.length;
  return buildModel({
    name: 'propensity_logistic',
    inputs: [{ name: 'features', type: 'float32', shape: ['n', d] }],
    outputs: [{ name: 'propensity', type: 'float32', shape: ['n', 1] }],
    initializers: [
      { name: 'mean', type: 'float32', dims: [d], data: Float32Array.from(scale.mean) },
      { name: 'std', type: 'float32', dims: [d], data: Float32Array.from(scale.std) },
      { name: 'W', type: 'float32', dims: [d, 1], data: Float32Array.from(model.weights) },
      { name: 'b', type: 'float32', dims: [1], data: Float32Array.of(model.bias) },
    ],
    nodes: [
      { op: 'Sub', inputs: ['features', 'mean'], outputs: ['centred'] },
      { op: 'Div', inputs: ['centred', 'std'], outputs: ['scaled'] },
      { op: 'MatMul', inputs: ['scaled', 'W'], outputs: ['z0'] },
      { op: 'Add', inputs: ['z0', 'b'], outputs: ['z'] },
      { op: 'Sigmoid', inputs: ['z'], outputs: ['propensity'] },
    ],
    metadata: { model: 'propensity-logistic', features: String(d), ...metadata },
  });
}

export class PropensityScorer {
  private constructor(private readonly rows: RowScorer) {}

  static async load(model: Buffer): Promise<PropensityScorer> {
    return new PropensityScorer(await RowScorer.load(model));
  }

  /** p(purchase within the horizon) per row of features. */
  async score(features: Float64Array[]): Promise<Float32Array> {
    return (await this.rows.run(features)).propensity ?? new Float32Array(0);
  }
}
