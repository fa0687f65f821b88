/** Recommend's model thread answers as the in-thread scorer does, surfaces failures, and outlives a crashed thread. */
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startThread } from '#lib/threads';
import { fitEase } from '#models/ease/ease';
import { OffThreadScorer } from '#models/recommender/offThread';
import { exportEaseRecommender } from '#models/recommender/graph';
import { RecommenderScorer } from '#models/recommender/scorer';

const byUser = [
  [0, 1, 2],
  [1, 2, 3],
  [3, 4, 5],
  [5, 6, 7],
  [7, 8, 9],
  [0, 5, 9],
  [2, 4, 6],
];
const recommendDir = path.join(__dirname, '../../functions/recommend');
let onnx: Buffer;
let threaded: OffThreadScorer;
beforeAll(async () => {
  onnx = exportEaseRecommender(await fitEase(byUser, 10, 1));
  threaded = await OffThreadScorer.load(onnx, (options) => startThread(recommendDir, 'scorer', options));
});
afterAll(() => threaded.release());

describe('model thread', () => {
  it('gives the same answers as the scorer on the calling thread', async () => {
    const local = await RecommenderScorer.load(onnx);
    const recency = { boost: 2, tau: 3 };
    expect(await threaded.top([4, 9, 1], recency, 5, [0, 2, 7])).toEqual(await local.top([4, 9, 1], recency, 5, [0, 2, 7]));
    expect(await threaded.candidateScores([2, 3], [0, -1, 7])).toEqual(await local.candidateScores([2, 3], [0, -1, 7]));
    await local.release();
  });

  it('rejects a run that fails inside onnxruntime, and keeps serving', async () => {
    await expect(threaded.top([99], undefined, 3)).rejects.toThrow(/indices element out of data bounds/);
    expect((await threaded.top([1], undefined, 3)).top.items).toHaveLength(3);
  });

  it('fails the calls a dying thread held, then answers from a new thread', async () => {
    const worker = (threaded as unknown as { worker: Worker }).worker;
    const dying = worker.terminate();
    const held = threaded.top([1, 2], undefined, 3); // reaches a thread that is going away
    await dying;
    await expect(held).rejects.toThrow(/model thread exited/);
    const next = async (): Promise<number> =>
      (await threaded.top([1, 2], undefined, 3).catch(() => undefined))?.top.items.length ??
      (await new Promise((r) => setTimeout(r, 50)), next());
    expect(await next()).toBe(3);
  });

  it('fails to load, rather than retrying forever, when the model is not a model', async () => {
    await expect(
      OffThreadScorer.load(Buffer.from('not onnx'), (options) => startThread(recommendDir, 'scorer', options)),
    ).rejects.toThrow();
  });
});
