/**
 * A recommendation scorer on a worker thread. onnxruntime-node runs a session synchronously on the
 * thread that calls it, so on the main thread every model run stalls HTTP handling; the
 * recommend instance has 2 vCPUs, and here the main thread keeps serving while the worker
 * runs the model. A worker that dies is replaced; the calls it held fail (and fall back).
 */
import { parentPort, workerData, type Worker, type WorkerOptions } from 'node:worker_threads';
import type { Recency } from '#models/shared/recency';
import { RecommenderScorer, type Ranked, type Scorer } from './scorer';

type Call =
  | { id: number; op: 'top'; args: Parameters<Scorer['top']> }
  | { id: number; op: 'candidateScores'; args: Parameters<Scorer['candidateScores']> };
type Reply = { id: number; result?: unknown; error?: string };

/** Starts the thread that runs `serveScorerThread` (see lib/threads.ts). */
export type StartThread = (options: WorkerOptions) => Worker;

export class OffThreadScorer implements Scorer {
  private worker!: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: never) => void; reject: (e: Error) => void }>();
  private released = false;

  private constructor(
    private readonly model: Buffer,
    private readonly startThread: StartThread,
  ) {}

  /** Starts the worker and resolves once it has loaded the model. */
  static async load(model: Buffer, startThread: StartThread): Promise<OffThreadScorer> {
    const scorer = new OffThreadScorer(model, startThread);
    await scorer.start();
    return scorer;
  }

  private start(): Promise<void> {
    const worker = this.startThread({ workerData: { model: this.model } });
    worker.unref(); // the thread alone never keeps a process alive
    this.worker = worker;
    let loaded = false;
    const ready = new Promise<void>((resolve, reject) => this.pending.set(-1, { resolve: () => resolve(), reject }));
    worker.on('message', (reply: Reply) => {
      loaded ||= reply.id === -1 && reply.error === undefined;
      const call = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error === undefined) call?.resolve(reply.result as never);
      else call?.reject(new Error(reply.error));
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => {
      this.failAll(new Error('model thread exited'));
      // Replace a thread that died serving; one that could not load the model fails `load` instead.
      if (loaded && !this.released) void this.start().catch(() => undefined);
    });
    return ready;
  }

  private failAll(err: Error): void {
    for (const call of this.pending.values()) call.reject(err);
    this.pending.clear();
  }

  private call<T>(op: Call['op'], args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: never) => void, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  top(history: number[], recency?: Recency, k?: number, candidates?: number[]): Promise<Ranked> {
    return this.call('top', [history, recency, k, candidates]);
  }

  candidateScores(history: number[], candidates: number[], recency?: Recency): Promise<number[]> {
    return this.call('candidateScores', [history, candidates, recency]);
  }

  async release(): Promise<void> {
    this.released = true;
    await this.worker.terminate();
  }
}

/** The worker side: loads the model from workerData, answers calls until terminated. */
export async function serveScorerThread(): Promise<void> {
  const port = parentPort!;
  try {
    const scorer = await RecommenderScorer.load(Buffer.from((workerData as { model: Uint8Array }).model), 'cpu', 1);
    port.on('message', (call: Call) => {
      const run = call.op === 'top' ? scorer.top(...call.args) : scorer.candidateScores(...call.args);
      run.then(
        (result) => port.postMessage({ id: call.id, result } satisfies Reply),
        (err: Error) => port.postMessage({ id: call.id, error: err.message } satisfies Reply),
      );
    });
    port.postMessage({ id: -1 } satisfies Reply);
  } catch (err) {
    port.postMessage({ id: -1, error: (err as Error).message } satisfies Reply);
  }
}
