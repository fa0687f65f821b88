/**
 * The served form of EASE: one ONNX graph holding B, taking a user's history (item indices,
 * oldest first, with their recency weights) and k, answering every item's score, the top k,
 * and for each of the top k the history position that contributed most to its score (the
 * reason shown to the user). Training evaluates through this same graph, so what is
 * measured is what is served.
 */
import * as ort from 'onnxruntime-node';
import { buildModel } from '#models/onnx/builder';
import { createSession, type Provider } from '#models/onnx/executionProvider';
import { NO_RECENCY, type EaseModel, type Recency } from './ease';

/** The registry name the recommendation model is trained and served under. */
export const MODEL_NAME = 'ease';

export function exportEase(model: EaseModel, metadata: Record<string, string> = {}): Buffer {
  return buildModel({
    name: 'ease_serve',
    inputs: [
      { name: 'history', type: 'int64', shape: ['h'] },
      { name: 'history_weight', type: 'float32', shape: ['h'] },
      { name: 'k', type: 'int64', shape: [1] },
    ],
    outputs: [
      { name: 'scores', type: 'float32', shape: [1, model.items] },
      { name: 'top_scores', type: 'float32', shape: [1, 'k'] },
      { name: 'top_items', type: 'int64', shape: [1, 'k'] },
      { name: 'top_because', type: 'int64', shape: ['k'] },
    ],
    initializers: [
      { name: 'B', type: 'float32', dims: [model.items, model.items], data: model.weights },
      { name: 'axis0', type: 'int64', dims: [1], data: BigInt64Array.from([0n]) },
      { name: 'axis1', type: 'int64', dims: [1], data: BigInt64Array.from([1n]) },
    ],
    nodes: [
      { op: 'Gather', inputs: ['B', 'history'], outputs: ['rows'], attributes: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['history_weight', 'axis0'], outputs: ['w'] },
      { op: 'MatMul', inputs: ['w', 'rows'], outputs: ['scores'] },
      { op: 'TopK', inputs: ['scores', 'k'], outputs: ['top_scores', 'top_items'], attributes: { axis: 1 } },
      // The reason, for the top k only: which history item adds most to each one's score.
      { op: 'Squeeze', inputs: ['top_items', 'axis0'], outputs: ['top_list'] },
      { op: 'Gather', inputs: ['rows', 'top_list'], outputs: ['top_rows'], attributes: { axis: 1 } },
      { op: 'Unsqueeze', inputs: ['history_weight', 'axis1'], outputs: ['w_column'] },
      { op: 'Mul', inputs: ['top_rows', 'w_column'], outputs: ['contributions'] },
      { op: 'ArgMax', inputs: ['contributions'], outputs: ['top_because'], attributes: { axis: 0, keepdims: 0 } },
    ],
    metadata: { model: 'ease', items: String(model.items), ...metadata },
  });
}

/** Recency weights for a history, oldest first. */
export function historyWeights(length: number, recency: Recency = NO_RECENCY): Float32Array {
  return Float32Array.from({ length }, (_, position) => 1 + recency.boost * Math.exp(-(length - 1 - position) / recency.tau));
}

/** The top k, best first, as arrays (they cross threads far cheaper than k objects). */
export interface TopItems {
  /** Model indices. */
  items: Int32Array;
  scores: Float32Array;
  /** For each item, the history position that contributed most to its score. */
  because: Int32Array;
}

/** What serving asks of an exported EASE model, wherever it runs. */
export interface Scorer {
  top(history: number[], recency?: Recency, k?: number, allScores?: boolean): Promise<{ top: TopItems; scores?: Float32Array }>;
  candidateScores(history: number[], candidates: number[], recency?: Recency): Promise<number[]>;
  release(): Promise<void>;
}

/** A plain loop: `Int32Array.from(big, Number)` goes through the iterator protocol, many times slower. */
function toInt32(big: BigInt64Array): Int32Array {
  const out = new Int32Array(big.length);
  for (let i = 0; i < big.length; i++) out[i] = Number(big[i]);
  return out;
}

/** Runs an exported EASE model on the calling thread. */
export class EaseScorer implements Scorer {
  private constructor(private readonly session: ort.InferenceSession) {}

  /** `threads`: 1 when serving concurrent requests, all cores for batch evaluation. */
  static async load(model: Buffer, provider: Provider = 'cpu', threads?: number): Promise<EaseScorer> {
    return new EaseScorer(await createSession(model, provider, threads));
  }

  release(): Promise<void> {
    return this.session.release();
  }

  /**
   * Scores of given candidates (model indices; −1 for an item the model never saw). Unknown
   * items score 0, as does every candidate of an empty history.
   */
  async candidateScores(history: number[], candidates: number[], recency: Recency = NO_RECENCY): Promise<number[]> {
    const all = history.length > 0 ? ((await this.run(history, recency, 1, ['scores'])).scores.data as Float32Array) : undefined;
    return candidates.map((i) => (all && i >= 0 ? all[i] : 0));
  }

  /** The k best items for a non-empty history, best first; with `allScores`, every item's score too. */
  async top(history: number[], recency: Recency = NO_RECENCY, k = 10, allScores = false): Promise<{ top: TopItems; scores?: Float32Array }> {
    const out = await this.run(history, recency, k, ['top_scores', 'top_items', 'top_because', ...(allScores ? ['scores'] : [])]);
    return {
      top: {
        items: toInt32(out.top_items.data as BigInt64Array),
        scores: out.top_scores.data as Float32Array,
        because: toInt32(out.top_because.data as BigInt64Array),
      },
      scores: out.scores?.data as Float32Array | undefined,
    };
  }

  private run(history: number[], recency: Recency, k: number, fetches: string[]) {
    return this.session.run(
      {
        history: new ort.Tensor('int64', BigInt64Array.from(history, BigInt), [history.length]),
        history_weight: new ort.Tensor('float32', historyWeights(history.length, recency), [history.length]),
        k: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
      },
      fetches,
    );
  }
}
