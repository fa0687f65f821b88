/**
 * EASE (Steck 2019): an item-to-item model with a closed form,
 *   B = I − P·diag(1/diag(P)),  P = (XᵀX + λI)⁻¹,  diag(B) = 0,
 * where X is the user×item matrix: binary, or weighted by event type and age (raw-log data). A user's
 * scores are the sum of the B rows of the
 * items they touched, so fresh behaviour from the feature store changes the next ranking
 * without retraining. The heavy linear algebra (the Gram matrix and its inverse) runs as an
 * ONNX graph in onnxruntime: on the CPU here, on the GPU with the CUDA provider on FC.
 */
import * as ort from 'onnxruntime-node';
import { buildModel } from '#models/onnx/builder';
import { createSession, type Provider } from '#models/onnx/executionProvider';
import { NO_RECENCY, recencyWeight, type Recency } from '#models/shared/recency';

export interface EaseModel {
  items: number;
  /** Row-major items × items weights: B[j * items + i] = how much touching j suggests i. */
  weights: Float32Array;
}

/** The Gram graph, a block of users at a time: G_out = G_in + XᵀX. G does not depend on λ, so tuning computes it once. */
function gramGraph(): Buffer {
  return buildModel({
    name: 'ease_gram',
    inputs: [
      { name: 'X', type: 'float32', shape: ['users', 'items'] },
      { name: 'G_in', type: 'float32', shape: ['items', 'items'] },
    ],
    outputs: [{ name: 'G', type: 'float32', shape: ['items', 'items'] }],
    nodes: [
      { op: 'Transpose', inputs: ['X'], outputs: ['Xt'], attributes: { perm: [1, 0] } },
      { op: 'MatMul', inputs: ['Xt', 'X'], outputs: ['XtX'] },
      { op: 'Add', inputs: ['G_in', 'XtX'], outputs: ['G'] },
    ],
  });
}

/** Floats of dense X per Gram block: memory stays bounded however many users there are. */
const BLOCK_FLOATS = 1 << 25;

/** The solve graph: G and λ in, B out. */
function solveGraph(): Buffer {
  return buildModel({
    name: 'ease_solve',
    inputs: [
      { name: 'G', type: 'float32', shape: ['items', 'items'] },
      { name: 'lambda', type: 'float32', shape: [] },
    ],
    outputs: [{ name: 'B', type: 'float32', shape: ['items', 'items'] }],
    initializers: [{ name: 'axis0', type: 'int64', dims: [1], data: BigInt64Array.from([0n]) }],
    nodes: [
      { op: 'EyeLike', inputs: ['G'], outputs: ['I'] },
      { op: 'Mul', inputs: ['I', 'lambda'], outputs: ['LI'] },
      { op: 'Add', inputs: ['G', 'LI'], outputs: ['A'] },
      { op: 'Inverse', domain: 'com.microsoft', inputs: ['A'], outputs: ['P'] },
      { op: 'Mul', inputs: ['P', 'I'], outputs: ['PI'] },
      { op: 'ReduceSum', inputs: ['PI', 'axis0'], outputs: ['diagP'], attributes: { keepdims: 1 } },
      { op: 'Neg', inputs: ['P'], outputs: ['negP'] },
      { op: 'Div', inputs: ['negP', 'diagP'], outputs: ['B0'] },
      { op: 'Mul', inputs: ['B0', 'I'], outputs: ['B0diag'] },
      { op: 'Sub', inputs: ['B0', 'B0diag'], outputs: ['B'] },
    ],
  });
}

/** Per user: item → interaction weight; a user or item it does not name weighs 1. */
export type InteractionWeights = Map<number, number>[];

/** EASE's training in two steps, each an ONNX graph on the chosen provider. */
export class EaseTrainer {
  private constructor(
    private readonly gramSession: ort.InferenceSession,
    private readonly solveSession: ort.InferenceSession,
  ) {}

  static async create(provider: Provider = 'cpu'): Promise<EaseTrainer> {
    return new EaseTrainer(await createSession(gramGraph(), provider), await createSession(solveGraph(), provider));
  }

  /** G = XᵀX for per-user item lists (dense indices below `items`), X binary unless weighted; dense a block of users at a time. */
  async gram(byUser: number[][], items: number, weights?: InteractionWeights): Promise<ort.Tensor> {
    const block = Math.max(1, Math.floor(BLOCK_FLOATS / items));
    let gram: ort.Tensor = new ort.Tensor('float32', new Float32Array(items * items), [items, items]);
    for (let first = 0; first < byUser.length; first += block) {
      const users = byUser.slice(first, first + block);
      const x = new Float32Array(users.length * items);
      users.forEach((list, u) => {
        for (const i of list) x[u * items + i] = weights?.[first + u]?.get(i) ?? 1;
      });
      gram = (await this.gramSession.run({ X: new ort.Tensor('float32', x, [users.length, items]), G_in: gram })).G;
    }
    return gram;
  }

  async solve(gram: ort.Tensor, lambda: number): Promise<EaseModel> {
    const out = await this.solveSession.run({ G: gram, lambda: new ort.Tensor('float32', Float32Array.from([lambda]), []) });
    return { items: gram.dims[0], weights: out.B.data as Float32Array };
  }
}

/** Fits EASE on per-user item lists, X binary unless weighted. */
export async function fitEase(
  byUser: number[][],
  items: number,
  lambda: number,
  trainer?: EaseTrainer,
  weights?: InteractionWeights,
): Promise<EaseModel> {
  const t = trainer ?? (await EaseTrainer.create());
  return t.solve(await t.gram(byUser, items, weights), lambda);
}

/** Scores candidates for a history (oldest first): Σ over touched items j of weight(j)·B[j, candidate]. */
export function easeScores(model: EaseModel, history: number[], candidates: number[], recency: Recency = NO_RECENCY): Float64Array {
  const scores = new Float64Array(candidates.length);
  const n = model.items;
  history.forEach((j, position) => {
    const w = recencyWeight(history.length - 1 - position, recency);
    const row = j * n;
    for (let c = 0; c < candidates.length; c++) if (candidates[c] >= 0) scores[c] += w * model.weights[row + candidates[c]];
  });
  return scores;
}
