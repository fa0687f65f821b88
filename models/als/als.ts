/**
 * Implicit ALS (Hu, Koren & Volinsky 2008, with the regularisation of Rendle et al. 2021):
 * user factors W and item factors H minimise
 *   Σ_(u,i) observed v_ui (w_uᵀh_i − 1)² + α Σ_(u,i) all (w_uᵀh_i)² + Σ_u λ_u‖w_u‖² + Σ_i λ_i‖h_i‖²
 * with λ_u = λ·(Σ_i v_ui + α·items) (and likewise per item). The sum over all pairs never
 * materialises: it is α·wᵀ(HᵀH)w, the Gram trick, so memory is (users + items)·d plus the
 * interactions (CSR). Each half-epoch is one Gram product and batched conjugate-gradient solves,
 * ONNX graphs (models/als/graphs.ts) on the chosen provider.
 *
 * Serving keeps only H: a user's vector is folded in from their recent items at request time
 * (`foldIn`), so fresh behaviour changes the next ranking without retraining.
 */
import * as ort from 'onnxruntime-node';
import { seededRandom } from '#lib/random';
import { createSession, type Provider } from '#models/onnx/executionProvider';
import { paddedBatches, type PaddedBatch } from '#models/sparse/batches';
import { rowSums, transpose, type Csr } from '#models/sparse/csr';
import { gramGraph, solveGraph } from './graphs';

export interface AlsParams {
  dim: number;
  /** λ, scaled per row by its interactions plus α·(the other side's size). */
  reg: number;
  /** α: the weight of every pair not observed. */
  unobserved: number;
  epochs: number;
}

export interface AlsModel {
  items: number;
  dim: number;
  /** Row-major items × dim. */
  itemFactors: Float32Array;
  reg: number;
  unobserved: number;
}

/** What a fit leaves: the model, and the users' factors (row-major users × dim). */
export interface AlsFit {
  model: AlsModel;
  userFactors: Float32Array;
}

const CG_STEPS = 3;
/**
 * Floats of gathered rows per solve batch (slots × dim). On the CPU a batch stays in cache across
 * its conjugate-gradient passes; on the GPU big batches keep kernel launches few.
 */
const BATCH_FLOATS: Record<Provider, number> = { cpu: 1 << 20, cuda: 1 << 26 };

/** The two training graphs as sessions on one provider. */
export class AlsTrainer {
  private constructor(
    private readonly gramSession: ort.InferenceSession,
    private readonly solveSession: ort.InferenceSession,
    readonly batchFloats: number,
  ) {}

  static async create(provider: Provider = 'cpu'): Promise<AlsTrainer> {
    return new AlsTrainer(
      await createSession(gramGraph(), provider),
      await createSession(solveGraph(CG_STEPS), provider),
      BATCH_FLOATS[provider],
    );
  }

  async gram(factors: Float32Array, rows: number, dim: number): Promise<Float32Array> {
    const out = await this.gramSession.run({ F: new ort.Tensor('float32', factors.subarray(0, rows * dim), [rows, dim]) });
    return out.G.data as Float32Array;
  }

  /**
   * Updates `target` (rows + 1 padding row, × dim) in place: each batch row's solve against
   * `fixed` (its rows + a zero padding row) with `gram` = α·fixedᵀfixed and per-row `reg`.
   */
  async solve(
    fixed: Float32Array,
    dim: number,
    gram: Float32Array,
    batches: PaddedBatch[],
    reg: Float32Array,
    target: Float32Array,
  ): Promise<void> {
    const F = new ort.Tensor('float32', fixed, [fixed.length / dim, dim]);
    const G = new ort.Tensor('float32', gram, [dim, dim]);
    for (const batch of batches) {
      const b = batch.rows.length;
      const x0 = new Float32Array(b * dim);
      const regs = new Float32Array(b);
      batch.rows.forEach((r, k) => {
        x0.set(target.subarray(r * dim, (r + 1) * dim), k * dim);
        regs[k] = reg[r];
      });
      const out = await this.solveSession.run({
        F,
        G,
        idx: new ort.Tensor('int32', batch.indices, [b, batch.width]),
        val: new ort.Tensor('float32', batch.values, [b, batch.width]),
        reg: new ort.Tensor('float32', regs, [b, 1]),
        x0: new ort.Tensor('float32', x0, [b, dim]),
      });
      const x = out.x.data as Float32Array;
      batch.rows.forEach((r, k) => target.set(x.subarray(k * dim, (k + 1) * dim), r * dim));
    }
  }
}

/** Small random factors (σ = 0.1/√d), with a zero padding row at the end. */
function initialFactors(rows: number, dim: number, rand: () => number): Float32Array {
  const f = new Float32Array((rows + 1) * dim);
  const sigma = 0.1 / Math.sqrt(dim);
  for (let k = 0; k < rows * dim; k++) f[k] = sigma * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return f;
}

const scale = (m: Float32Array, s: number) => m.map((v) => v * s);

/** λ·(Σ values of the row + α·other side's size) per row: frequency-scaled regularisation. */
function rowRegs(m: Csr, params: AlsParams): Float32Array {
  return Float32Array.from(rowSums(m), (sum) => params.reg * (sum + params.unobserved * m.cols));
}

export interface FitOptions {
  trainer?: AlsTrainer;
  seed?: number;
  /** Factors to start from (a refit continues where the evaluated fit stopped). */
  from?: AlsFit;
  /** Called after each epoch (its users' factors are fresh for its items'); `false` stops early. */
  onEpoch?: (epoch: number, fit: AlsFit) => boolean | undefined | Promise<boolean | undefined>;
}

/** Fits ALS on a users × items interaction matrix. */
export async function fitAls(x: Csr, params: AlsParams, o: FitOptions = {}): Promise<AlsFit> {
  const trainer = o.trainer ?? (await AlsTrainer.create());
  const { dim } = params;
  const [users, items] = [x.rows, x.cols];
  const rand = seededRandom(o.seed ?? 17);
  const W = initialFactors(users, dim, rand);
  const H = initialFactors(items, dim, rand);
  if (o.from) {
    W.set(o.from.userFactors.subarray(0, users * dim));
    H.set(o.from.model.itemFactors.subarray(0, items * dim));
  }
  const xt = transpose(x);
  const slots = Math.max(1, Math.floor(trainer.batchFloats / dim));
  const userBatches = paddedBatches(x, slots, items);
  const itemBatches = paddedBatches(xt, slots, users);
  const [userReg, itemReg] = [rowRegs(x, params), rowRegs(xt, params)];
  const fitOf = (): AlsFit => ({
    model: { items, dim, itemFactors: H.subarray(0, items * dim), reg: params.reg, unobserved: params.unobserved },
    userFactors: W.subarray(0, users * dim),
  });
  for (let epoch = 1; epoch <= params.epochs; epoch++) {
    await trainer.solve(W, dim, scale(await trainer.gram(W, users, dim), params.unobserved), itemBatches, itemReg, H);
    await trainer.solve(H, dim, scale(await trainer.gram(H, items, dim), params.unobserved), userBatches, userReg, W);
    if ((await o.onEpoch?.(epoch, fitOf())) === false) break;
  }
  return fitOf();
}

/** G = HᵀH in float64 (serving's and the reference's). */
export function gramOf(model: AlsModel): Float64Array {
  const { dim, items, itemFactors: h } = model;
  const g = new Float64Array(dim * dim);
  for (let i = 0; i < items; i++) {
    const row = i * dim;
    for (let a = 0; a < dim; a++) {
      const ha = h[row + a];
      if (ha === 0) continue;
      for (let b = 0; b < dim; b++) g[a * dim + b] += ha * h[row + b];
    }
  }
  return g;
}

/** Solves A x = b for a symmetric positive definite A (row-major n × n) by Cholesky, in place of a copy. */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = Float64Array.from(a);
  for (let j = 0; j < n; j++) {
    let d = l[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] ** 2;
    const root = Math.sqrt(d);
    l[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let s = l[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / root;
    }
  }
  const y = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) y[i] -= l[i * n + k] * y[k];
    y[i] /= l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) y[i] -= l[k * n + i] * y[k];
    y[i] /= l[i * n + i];
  }
  return y;
}

/**
 * A user's vector from a history (item indices, each with its weight): the exact solve of the
 * user's half-step against the model's items, what serving computes at request time.
 */
export function foldIn(model: AlsModel, history: number[], weights: ArrayLike<number>, gram = gramOf(model)): Float64Array {
  const { dim, itemFactors: h } = model;
  const a = gram.map((v) => v * model.unobserved);
  const b = new Float64Array(dim);
  let total = 0;
  history.forEach((j, k) => {
    const w = weights[k];
    total += w;
    for (let p = 0; p < dim; p++) {
      b[p] += w * h[j * dim + p];
      for (let q = 0; q < dim; q++) a[p * dim + q] += w * h[j * dim + p] * h[j * dim + q];
    }
  });
  const reg = model.reg * (total + model.unobserved * model.items);
  for (let p = 0; p < dim; p++) a[p * dim + p] += reg;
  return solveSpd(a, b, dim);
}

/** Scores of candidates (−1: unknown, scores 0) for a user vector. */
export function factorScores(model: AlsModel, user: ArrayLike<number>, candidates: number[]): Float64Array {
  const { dim, itemFactors: h } = model;
  return Float64Array.from(candidates, (c) => {
    if (c < 0) return 0;
    let s = 0;
    for (let p = 0; p < dim; p++) s += user[p] * h[c * dim + p];
    return s;
  });
}
