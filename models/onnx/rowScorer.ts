/** An ONNX session over a batch of feature rows: one `features` input shaped [rows, d], every output by name. */
import * as ort from 'onnxruntime-node';

export class RowScorer {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async load(model: Buffer): Promise<RowScorer> {
    return new RowScorer(await ort.InferenceSession.create(model));
  }

  /** Runs the rows in one call; no rows, no run. */
  async run(features: Float64Array[]): Promise<Record<string, Float32Array>> {
    if (features.length === 0) return {};
    const d = features[0].length;
    const x = new Float32Array(features.length * d);
    features.forEach((f, i) => x.set(f, i * d));
    const out = await this.session.run({ features: new ort.Tensor('float32', x, [features.length, d]) });
    return Object.fromEntries(Object.entries(out).map(([name, tensor]) => [name, tensor.data as Float32Array]));
  }
}
