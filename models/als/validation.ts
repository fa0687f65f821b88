/** The validation cases of a split scored by a fit's user factors: one batched product (an ONNX graph) per epoch. */
import * as ort from 'onnxruntime-node';
import { buildModel } from '#models/onnx/builder';
import { createSession } from '#models/onnx/executionProvider';
import type { HoldOut } from '#models/shared/holdOut';
import type { AlsFit } from './als';

export class ValidationScorer {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly split: HoldOut,
    private readonly users: ort.Tensor,
    private readonly candidates: ort.Tensor,
    private readonly width: number,
  ) {}

  static async create(split: HoldOut): Promise<ValidationScorer> {
    const width = Math.max(1, ...split.cases.map((c) => c.candidates.length));
    const candidates = new Int32Array(split.cases.length * width); // a short list is padded with item 0, its scores unread
    split.cases.forEach((c, n) => candidates.set(c.candidates, n * width));
    const graph = buildModel({
      name: 'als_validation',
      inputs: [
        { name: 'W', type: 'float32', shape: ['users', 'd'] },
        { name: 'H', type: 'float32', shape: ['items', 'd'] },
        { name: 'users', type: 'int32', shape: ['n'] },
        { name: 'candidates', type: 'int32', shape: ['n', 'c'] },
      ],
      outputs: [{ name: 'scores', type: 'float32', shape: ['n', 'c', 1] }],
      initializers: [{ name: 'axis2', type: 'int64', dims: [1], data: BigInt64Array.of(2n) }],
      nodes: [
        { op: 'Gather', inputs: ['W', 'users'], outputs: ['Wu'], attributes: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['Wu', 'axis2'], outputs: ['Wcol'] },
        { op: 'Gather', inputs: ['H', 'candidates'], outputs: ['Hc'], attributes: { axis: 0 } },
        { op: 'MatMul', inputs: ['Hc', 'Wcol'], outputs: ['scores'] },
      ],
    });
    const users = new ort.Tensor(
      'int32',
      Int32Array.from(split.cases, (c) => c.user),
      [split.cases.length],
    );
    return new ValidationScorer(
      await createSession(graph),
      split,
      users,
      new ort.Tensor('int32', candidates, [split.cases.length, width]),
      width,
    );
  }

  release(): Promise<void> {
    return this.session.release();
  }

  async scores(fit: AlsFit): Promise<Float32Array[]> {
    const { dim, items, itemFactors } = fit.model;
    const out = await this.session.run({
      W: new ort.Tensor('float32', fit.userFactors, [fit.userFactors.length / dim, dim]),
      H: new ort.Tensor('float32', itemFactors, [items, dim]),
      users: this.users,
      candidates: this.candidates,
    });
    const all = out.scores.data as Float32Array;
    return this.split.cases.map((c, n) => all.slice(n * this.width, n * this.width + c.candidates.length));
  }
}
