/**
 * The served form of the T-learner: one ONNX graph taking customer features and answering
 * p(convert | message), p(convert | none) and their difference, the uplift. Evaluation runs
 * through this graph, as campaign scoring will.
 */
import { RowScorer } from '#models/onnx/rowScorer';
import { buildModel } from '#models/onnx/builder';
import type { Logistic } from '#models/shared/logistic';

/** The registry name the uplift model is trained and served under. */
export const UPLIFT_MODEL = 'uplift';

export function exportUplift(treated: Logistic, control: Logistic, metadata: Record<string, string> = {}): Buffer {
  const d = treated.weights.length;
  const w = new Float32Array(d * 2);
  for (let j = 0; j < d; j++) {
    w[j * 2] = treated.weights[j];
    w[j * 2 + 1] = control.weights[j];
  }
  return buildModel({
    name: 'uplift_t_learner',
    inputs: [{ name: 'features', type: 'float32', shape: ['n', d] }],
    outputs: [
      { name: 'propensity', type: 'float32', shape: ['n', 2] },
      { name: 'uplift', type: 'float32', shape: ['n', 1] },
    ],
    initializers: [
      { name: 'W', type: 'float32', dims: [d, 2], data: w },
      { name: 'b', type: 'float32', dims: [2], data: Float32Array.from([treated.bias, control.bias]) },
      { name: 'diff', type: 'float32', dims: [2, 1], data: Float32Array.from([1, -1]) },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['features', 'W'], outputs: ['z0'] },
      { op: 'Add', inputs: ['z0', 'b'], outputs: ['z'] },
      { op: 'Sigmoid', inputs: ['z'], outputs: ['propensity'] },
      { op: 'MatMul', inputs: ['propensity', 'diff'], outputs: ['uplift'] },
    ],
    metadata: { model: 'uplift-t-learner', features: String(d), ...metadata },
  });
}

export class UpliftScorer {
  private constructor(private readonly rows: RowScorer) {}

  static async load(model: Buffer): Promise<UpliftScorer> {
    return new UpliftScorer(await RowScorer.load(model));
  }

  /** Propensities with and without the message, and the uplift, per customer. */
  async score(features: Float64Array[]): Promise<{ treated: Float32Array; control: Float32Array; uplift: Float32Array }> {
    const { propensity = new Float32Array(0), uplift = new Float32Array(0) } = await this.rows.run(features);
    return { treated: propensity.filter((_, i) => i % 2 === 0), control: propensity.filter((_, i) => i % 2 === 1), uplift };
  }
}
