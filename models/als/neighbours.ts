/**
 * Each item's nearest items under the model's own ranking, for recall at serving: for a history
 * of one item i, the fold-in ranks item j by h_jᵀ A⁻¹ h_i with A = αHᵀH + λ₁·I + h_ih_iᵀ, the same
 * order as h_jᵀ M⁻¹ h_i with M = αHᵀH + λ₁·I (Sherman–Morrison), λ₁ = λ·(1 + α·items). In the
 * eigenbasis (models/als/rotation.ts) M⁻¹ is the diagonal (αΛ + λ₁)⁻¹. One ONNX graph scores a
 * block of items against all (a matrix product) and keeps the top K: items² · d work, on the GPU on FC.
 */
import * as ort from 'onnxruntime-node';
import { buildModel } from '#models/onnx/builder';
import { createSession, type Provider } from '#models/onnx/executionProvider';
import type { RotatedAls } from './rotation';

/** Per item, its K nearest items (row-major items × K). */
export interface Neighbours {
  perItem: number;
  items: Int32Array;
}

/** Floats of block × items similarities per run. */
const BLOCK_FLOATS = 1 << 24;

function neighbourGraph(): Buffer {
  return buildModel({
    name: 'als_neighbours',
    inputs: [
      { name: 'Hv', type: 'float32', shape: ['items', 'd'] },
      { name: 'inverse', type: 'float32', shape: [1, 'd'] },
      { name: 'rows', type: 'int64', shape: ['b'] },
      { name: 'k', type: 'int64', shape: [1] },
    ],
    outputs: [{ name: 'nearest', type: 'int64', shape: ['b', 'k'] }],
    nodes: [
      { op: 'Gather', inputs: ['Hv', 'rows'], outputs: ['block'], attributes: { axis: 0 } },
      { op: 'Mul', inputs: ['block', 'inverse'], outputs: ['Q'] },
      { op: 'Transpose', inputs: ['Hv'], outputs: ['HvT'], attributes: { perm: [1, 0] } },
      { op: 'MatMul', inputs: ['Q', 'HvT'], outputs: ['S'] },
      { op: 'TopK', inputs: ['S', 'k'], outputs: ['top', 'nearest'], attributes: { axis: 1 } },
    ],
  });
}

export async function nearestItems(model: RotatedAls, perItem: number, provider: Provider = 'cpu'): Promise<Neighbours> {
  const { items, dim } = model;
  const k = Math.min(items, perItem + 1); // the item itself is usually its own nearest
  const session = await createSession(neighbourGraph(), provider);
  const Hv = new ort.Tensor('float32', model.factors, [items, dim]);
  const reg = model.reg * (1 + model.unobserved * items);
  const inverse = new ort.Tensor(
    'float32',
    model.eigen.map((v) => 1 / (model.unobserved * v + reg)),
    [1, dim],
  );
  const out = new Int32Array(items * perItem);
  const block = Math.max(1, Math.floor(BLOCK_FLOATS / items));
  for (let first = 0; first < items; first += block) {
    const rows = Array.from({ length: Math.min(block, items - first) }, (_, r) => first + r);
    const { nearest } = await session.run({
      Hv,
      inverse,
      rows: new ort.Tensor('int64', BigInt64Array.from(rows, BigInt), [rows.length]),
      k: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
    });
    const found = nearest.data as BigInt64Array;
    rows.forEach((item, r) => {
      let kept = 0;
      for (let c = 0; c < k && kept < perItem; c++) {
        const j = Number(found[r * k + c]);
        if (j !== item) out[item * perItem + kept++] = j;
      }
      // A catalogue smaller than K + 1 leaves slots over: they name the item itself (shown never, as it was just touched).
      out.fill(item, item * perItem + kept, (item + 1) * perItem);
    });
  }
  await session.release();
  return { perItem, items: out };
}
