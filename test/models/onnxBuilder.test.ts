/** Models written by the builder load and run in onnxruntime-node exactly as specified. */
import * as ort from 'onnxruntime-node';
import { buildModel } from '#models/onnx/builder';

describe('ONNX builder', () => {
  it('writes a model onnxruntime runs: initializers, attributes, symbolic shapes, metadata', async () => {
    const model = buildModel({
      name: 'scale_topk',
      inputs: [{ name: 'x', type: 'float32', shape: ['batch', 3] }],
      outputs: [
        { name: 'values', type: 'float32', shape: ['batch', 2] },
        { name: 'indices', type: 'int64', shape: ['batch', 2] },
      ],
      initializers: [
        { name: 'w', type: 'float32', dims: [3], data: Float32Array.from([1, 10, 100]) },
        { name: 'k', type: 'int64', dims: [1], data: BigInt64Array.from([2n]) },
      ],
      nodes: [
        { op: 'Mul', inputs: ['x', 'w'], outputs: ['scaled'] },
        { op: 'TopK', inputs: ['scaled', 'k'], outputs: ['values', 'indices'], attributes: { axis: 1 } },
      ],
      metadata: { model_version: 'v1' },
    });
    const session = await ort.InferenceSession.create(model);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([3, 2, 0.01, 1, 1, 1]), [2, 3]) });
    expect(Array.from(out.values.data as Float32Array)).toEqual([20, 3, 100, 10]);
    expect(Array.from(out.indices.data as BigInt64Array)).toEqual([1n, 0n, 2n, 1n]);
  });
});
