/**
 * The ONNX graphs of implicit ALS's training: the Gram matrix FᵀF of one side's factors, and
 * one side's least-squares solves by batched conjugate gradient. Only matrix products, gathers
 * and element-wise ops: onnxruntime runs them on the CPU here and on the GPU with CUDA.
 */
import { buildModel, type Node } from '#models/onnx/builder';

export function gramGraph(): Buffer {
  return buildModel({
    name: 'als_gram',
    inputs: [{ name: 'F', type: 'float32', shape: ['n', 'd'] }],
    outputs: [{ name: 'G', type: 'float32', shape: ['d', 'd'] }],
    nodes: [
      { op: 'Transpose', inputs: ['F'], outputs: ['Ft'], attributes: { perm: [1, 0] } },
      { op: 'MatMul', inputs: ['Ft', 'F'], outputs: ['G'] },
    ],
  });
}

/**
 * For each row r of a batch (padded to width L), solves
 *   (Σ_j v_rj f_j f_jᵀ + G + reg_r I) x_r = Σ_j v_rj f_j
 * over the rows f_j of F its interactions name (G is the unobserved weight times FᵀF, the Gram
 * trick that stands for every pair not observed), by `steps` conjugate-gradient steps from x0.
 * Each step costs two passes over the gathered rows and one product with G: no d×d system is formed.
 */
export function solveGraph(steps: number): Buffer {
  const nodes: Node[] = [
    { op: 'Gather', inputs: ['F', 'idx'], outputs: ['Fg'], attributes: { axis: 0 } }, // [b, L, d]
    { op: 'Unsqueeze', inputs: ['val', 'axis1'], outputs: ['valRow'] }, // [b, 1, L]
    { op: 'MatMul', inputs: ['valRow', 'Fg'], outputs: ['rhs3'] },
    { op: 'Squeeze', inputs: ['rhs3', 'axis1'], outputs: ['rhs'] }, // [b, d]
  ];
  /** Nodes computing `out` = A·`p` for every row of the batch. */
  const apply = (p: string, out: string) => {
    nodes.push(
      { op: 'Unsqueeze', inputs: [p, 'axis2'], outputs: [`${out}_col`] }, // [b, d, 1]
      { op: 'MatMul', inputs: ['Fg', `${out}_col`], outputs: [`${out}_t`] }, // [b, L, 1]: f_jᵀ p
      { op: 'Transpose', inputs: [`${out}_t`], outputs: [`${out}_tr`], attributes: { perm: [0, 2, 1] } },
      { op: 'Mul', inputs: [`${out}_tr`, 'valRow'], outputs: [`${out}_tw`] },
      { op: 'MatMul', inputs: [`${out}_tw`, 'Fg'], outputs: [`${out}_q3`] }, // [b, 1, d]
      { op: 'Squeeze', inputs: [`${out}_q3`, 'axis1'], outputs: [`${out}_q`] },
      { op: 'MatMul', inputs: [p, 'G'], outputs: [`${out}_g`] },
      { op: 'Mul', inputs: [p, 'reg'], outputs: [`${out}_r`] },
      { op: 'Add', inputs: [`${out}_q`, `${out}_g`], outputs: [`${out}_qg`] },
      { op: 'Add', inputs: [`${out}_qg`, `${out}_r`], outputs: [out] },
    );
  };
  const dot = (a: string, b: string, out: string) =>
    nodes.push(
      { op: 'Mul', inputs: [a, b], outputs: [`${out}_ab`] },
      { op: 'ReduceSum', inputs: [`${out}_ab`, 'axis1'], outputs: [out], attributes: { keepdims: 1 } },
    );

  apply('x0', 'Ax0');
  nodes.push({ op: 'Sub', inputs: ['rhs', 'Ax0'], outputs: ['r0'] });
  dot('r0', 'r0', 'rs0');
  let [x, r, p, rs] = ['x0', 'r0', 'r0', 'rs0'];
  for (let s = 1; s <= steps; s++) {
    const last = s === steps;
    apply(p, `Ap${s}`);
    dot(p, `Ap${s}`, `pAp${s}`);
    nodes.push(
      { op: 'Add', inputs: [`pAp${s}`, 'eps'], outputs: [`pAp${s}_e`] },
      { op: 'Div', inputs: [rs, `pAp${s}_e`], outputs: [`alpha${s}`] },
      { op: 'Mul', inputs: [`alpha${s}`, p], outputs: [`ap${s}`] },
      { op: 'Add', inputs: [x, `ap${s}`], outputs: [last ? 'x' : `x${s}`] },
    );
    if (last) break;
    nodes.push(
      { op: 'Mul', inputs: [`alpha${s}`, `Ap${s}`], outputs: [`aAp${s}`] },
      { op: 'Sub', inputs: [r, `aAp${s}`], outputs: [`r${s}`] },
    );
    dot(`r${s}`, `r${s}`, `rs${s}`);
    nodes.push(
      { op: 'Add', inputs: [rs, 'eps'], outputs: [`rs${s}_e`] },
      { op: 'Div', inputs: [`rs${s}`, `rs${s}_e`], outputs: [`beta${s}`] },
      { op: 'Mul', inputs: [`beta${s}`, p], outputs: [`bp${s}`] },
      { op: 'Add', inputs: [`r${s}`, `bp${s}`], outputs: [`p${s}`] },
    );
    [x, r, p, rs] = [`x${s}`, `r${s}`, `p${s}`, `rs${s}`];
  }
  return buildModel({
    name: 'als_solve',
    inputs: [
      { name: 'F', type: 'float32', shape: ['n', 'd'] },
      { name: 'idx', type: 'int32', shape: ['b', 'L'] },
      { name: 'val', type: 'float32', shape: ['b', 'L'] },
      { name: 'G', type: 'float32', shape: ['d', 'd'] },
      { name: 'reg', type: 'float32', shape: ['b', 1] },
      { name: 'x0', type: 'float32', shape: ['b', 'd'] },
    ],
    outputs: [{ name: 'x', type: 'float32', shape: ['b', 'd'] }],
    initializers: [
      { name: 'axis1', type: 'int64', dims: [1], data: BigInt64Array.of(1n) },
      { name: 'axis2', type: 'int64', dims: [1], data: BigInt64Array.of(2n) },
      { name: 'eps', type: 'float32', dims: [1], data: Float32Array.of(1e-30) },
    ],
    nodes,
  });
}
