/**
 * L2-regularised logistic regression fitted by Newton's method (IRLS): exact and fast for
 * the few dozen features of customer propensity models.
 */

export interface Logistic {
  weights: Float64Array;
  bias: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Solves A x = b for a small symmetric positive definite A (Cholesky). */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/** Fits on rows of `features` (each of length d) with 0/1 labels; the bias is not penalised. */
export function fitLogistic(features: Float64Array[], labels: Uint8Array, l2 = 1, iterations = 25): Logistic {
  const d = features[0].length + 1; // last coordinate: bias
  let w = new Float64Array(d);
  for (let it = 0; it < iterations; it++) {
    const grad = new Float64Array(d);
    const hess = new Float64Array(d * d);
    for (let r = 0; r < features.length; r++) {
      const x = features[r];
      let z = w[d - 1];
      for (let j = 0; j < d - 1; j++) z += w[j] * x[j];
      const p = sigmoid(z);
      const g = p - labels[r];
      const h = Math.max(p * (1 - p), 1e-9);
      for (let i = 0; i < d; i++) {
        const xi = i === d - 1 ? 1 : x[i];
        grad[i] += g * xi;
        for (let j = 0; j <= i; j++) hess[i * d + j] += h * xi * (j === d - 1 ? 1 : x[j]);
      }
    }
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) hess[j * d + i] = hess[i * d + j];
    for (let i = 0; i < d - 1; i++) {
      grad[i] += l2 * w[i];
      hess[i * d + i] += l2;
    }
    const step = solve(hess, grad, d);
    let change = 0;
    w = w.map((v, i) => {
      change = Math.max(change, Math.abs(step[i]));
      return v - step[i];
    });
    if (change < 1e-8) break;
  }
  return { weights: w.subarray(0, d - 1), bias: w[d - 1] };
}

export function predictLogistic(m: Logistic, x: Float64Array): number {
  let z = m.bias;
  for (let j = 0; j < x.length; j++) z += m.weights[j] * x[j];
  return sigmoid(z);
}
