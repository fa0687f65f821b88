/**
 * Runs a served recommendation graph (models/recommender/graph.ts) on the calling thread.
 * Versions exported before the graph took candidates (EASE with every item's `scores`) still load:
 * their candidates are read from those scores.
 */
import * as ort from 'onnxruntime-node';
import { NO_RECENCY, recencyWeight, type Recency } from '#models/shared/recency';
import { createSession, type Provider } from '#models/onnx/executionProvider';

/** Recency weights for a history, oldest first. */
export function historyWeights(length: number, recency: Recency = NO_RECENCY): Float32Array {
  return Float32Array.from({ length }, (_, position) => recencyWeight(length - 1 - position, recency));
}

/** The top k, best first, as arrays (they cross threads far cheaper than k objects). */
export interface TopItems {
  /** Model indices. */
  items: Int32Array;
  scores: Float32Array;
  /** For each item, the history position that contributed most to its score. */
  because: Int32Array;
}

export interface Ranked {
  top: TopItems;
  /** The scores of the candidates asked for, in their order. */
  candidateScores?: Float32Array;
}

/** What serving asks of an exported model, wherever it runs. */
export interface Scorer {
  /** The k best for a non-empty history, best first; `candidates` (model indices) are scored too, and may enter the top. */
  top(history: number[], recency?: Recency, k?: number, candidates?: number[]): Promise<Ranked>;
  /** Scores of candidates (−1 for an item the model never saw: 0); every candidate of an empty history scores 0. */
  candidateScores(history: number[], candidates: number[], recency?: Recency): Promise<number[]>;
  release(): Promise<void>;
}

/** A plain loop: `Int32Array.from(big, Number)` goes through the iterator protocol, many times slower. */
function toInt32(big: BigInt64Array): Int32Array {
  const out = new Int32Array(big.length);
  for (let i = 0; i < big.length; i++) out[i] = Number(big[i]);
  return out;
}

const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [values.length]);

export class RecommenderScorer implements Scorer {
  private readonly takesCandidates: boolean;

  private constructor(private readonly session: ort.InferenceSession) {
    this.takesCandidates = session.inputNames.includes('candidates');
  }

  /** `threads`: 1 when serving concurrent requests, all cores for batch evaluation. */
  static async load(model: Buffer, provider: Provider = 'cpu', threads?: number): Promise<RecommenderScorer> {
    return new RecommenderScorer(await createSession(model, provider, threads));
  }

  release(): Promise<void> {
    return this.session.release();
  }

  async candidateScores(history: number[], candidates: number[], recency: Recency = NO_RECENCY): Promise<number[]> {
    if (history.length === 0) return candidates.map(() => 0);
    const known = candidates.filter((i) => i >= 0);
    const { candidateScores } = await this.top(history, recency, 1, known);
    let next = 0;
    return candidates.map((i) => (i >= 0 ? candidateScores![next++] : 0));
  }

  async top(history: number[], recency: Recency = NO_RECENCY, k = 10, candidates?: number[]): Promise<Ranked> {
    const feeds: Record<string, ort.Tensor> = {
      history: int64(history),
      history_weight: new ort.Tensor('float32', historyWeights(history.length, recency), [history.length]),
      k: int64([k]),
    };
    const fetches = ['top_scores', 'top_items', 'top_because'];
    if (this.takesCandidates) {
      feeds.candidates = int64(candidates ?? []);
      if (candidates) fetches.push('candidate_scores');
    } else if (candidates) fetches.push('scores');
    const out = await this.session.run(feeds, fetches);
    const all = out.scores?.data as Float32Array | undefined;
    return {
      top: {
        items: toInt32(out.top_items.data as BigInt64Array),
        scores: out.top_scores.data as Float32Array,
        because: toInt32(out.top_because.data as BigInt64Array),
      },
      candidateScores: (out.candidate_scores?.data as Float32Array | undefined) ?? (all && Float32Array.from(candidates!, (i) => all[i])),
    };
  }
}
