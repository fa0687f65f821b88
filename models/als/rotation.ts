/**
 * Item factors turned into the eigenbasis of their Gram matrix, HᵀH = V Λ Vᵀ, for serving. There,
 * a fold-in's matrix A = Hₕᵀ Hₕ + V (αΛ + λ_u) Vᵀ is a diagonal plus a rank-h term, so Woodbury
 * gives A⁻¹ through an h × h inverse (h: the history, at most 50) instead of a d × d one: the
 * request's cost no longer grows with d³.
 */
import * as ort from 'onnxruntime-node';
import { buildModel } from '#models/onnx/builder';
import { createSession, type Provider } from '#models/onnx/executionProvider';
import { gramOf, type AlsModel } from './als';

export interface RotatedAls {
  items: number;
  dim: number;
  /** Row-major items × dim: H·V. */
  factors: Float32Array;
  /** Λ: the eigenvalues of HᵀH, in V's column order. */
  eigen: Float32Array;
  reg: number;
  unobserved: number;
}

/** Eigenvalues and eigenvectors (columns of a row-major n × n) of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const scale = m.reduce((s, x) => s + x * x, 0);
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off <= 1e-24 * scale) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const [kp, kq] = [m[k * n + p], m[k * n + q]];
          m[k * n + p] = c * kp - s * kq;
          m[k * n + q] = s * kp + c * kq;
        }
        for (let k = 0; k < n; k++) {
          const [pk, qk] = [m[p * n + k], m[q * n + k]];
          m[p * n + k] = c * pk - s * qk;
          m[q * n + k] = s * pk + c * qk;
        }
        for (let k = 0; k < n; k++) {
          const [kp, kq] = [v[k * n + p], v[k * n + q]];
          v[k * n + p] = c * kp - s * kq;
          v[k * n + q] = s * kp + c * kq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => m[i * n + i]), vectors: v };
}

const productGraph = () =>
  buildModel({
    name: 'als_rotate',
    inputs: [
      { name: 'H', type: 'float32', shape: ['items', 'd'] },
      { name: 'V', type: 'float32', shape: ['d', 'd'] },
    ],
    outputs: [{ name: 'HV', type: 'float32', shape: ['items', 'd'] }],
    nodes: [{ op: 'MatMul', inputs: ['H', 'V'], outputs: ['HV'] }],
  });

export async function rotate(model: AlsModel, provider: Provider = 'cpu'): Promise<RotatedAls> {
  const { items, dim } = model;
  const { values, vectors } = symmetricEigen(gramOf(model), dim);
  const session = await createSession(productGraph(), provider);
  const { HV } = await session.run({
    H: new ort.Tensor('float32', model.itemFactors, [items, dim]),
    V: new ort.Tensor('float32', Float32Array.from(vectors), [dim, dim]),
  });
  await session.release();
  return { items, dim, factors: HV.data as Float32Array, eigen: Float32Array.from(values), reg: model.reg, unobserved: model.unobserved };
}
