/** The exported ONNX model scores exactly as the trainer does, and versions exported before still serve. */
import { seededRandom } from '#lib/random';
import { easeScores, fitEase, type EaseModel } from '#models/ease/ease';
import { exportEaseRecommender } from '#models/recommender/graph';
import { historyWeights, RecommenderScorer } from '#models/recommender/scorer';
import { buildModel } from '#models/onnx/builder';

/** The graph versions registered before the served graph took candidates (every item's `scores` out instead). */
function legacyGraph(model: EaseModel): Buffer {
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
      { op: 'Squeeze', inputs: ['top_items', 'axis0'], outputs: ['top_list'] },
      { op: 'Gather', inputs: ['rows', 'top_list'], outputs: ['top_rows'], attributes: { axis: 1 } },
      { op: 'Unsqueeze', inputs: ['history_weight', 'axis1'], outputs: ['w_column'] },
      { op: 'Mul', inputs: ['top_rows', 'w_column'], outputs: ['contributions'] },
      { op: 'ArgMax', inputs: ['contributions'], outputs: ['top_because'], attributes: { axis: 0, keepdims: 0 } },
    ],
  });
}

describe('EASE export', () => {
  it('gives the trainer’s scores and the true top k, with and without recency', async () => {
    const items = 30;
    const rand = seededRandom(3);
    const byUser = Array.from({ length: 60 }, () => [...new Set(Array.from({ length: 6 }, () => Math.floor(rand() * rand() * items)))]);
    const model = await fitEase(byUser, items, 2);
    const scorer = await RecommenderScorer.load(exportEaseRecommender(model, { version: 'test' }));
    const all = Array.from({ length: items }, (_, i) => i);
    for (const recency of [undefined, { boost: 4, tau: 2 }]) {
      for (const history of [[1], [3, 7, 1], byUser[5]]) {
        const expected = easeScores(model, history, all, recency);
        const { candidateScores, top } = await scorer.top(history, recency, 5, all);
        all.forEach((i) => expect(candidateScores![i]).toBeCloseTo(expected[i], 4));
        expect(await scorer.candidateScores(history, [2, -1, 9], recency)).toEqual([
          expect.closeTo(expected[2], 4),
          0,
          expect.closeTo(expected[9], 4),
        ]);
        const best = [...expected]
          .map((s, i) => ({ i, s }))
          .sort((a, b) => b.s - a.s)
          .slice(0, 5);
        expect(Array.from(top.scores)).toEqual(best.map((b) => expect.closeTo(b.s, 4)));
      }
    }
  });

  it('names, for each top item, the history item that contributed most to its score', async () => {
    const items = 12;
    const byUser = [
      [0, 1, 2],
      [1, 2, 3],
      [3, 4, 5],
      [5, 6, 7],
      [7, 8, 9],
      [9, 10, 11],
      [0, 5, 10],
      [2, 4, 6],
    ];
    const model = await fitEase(byUser, items, 1);
    const scorer = await RecommenderScorer.load(exportEaseRecommender(model));
    const history = [4, 9, 1];
    const recency = { boost: 2, tau: 1 };
    const w = historyWeights(history.length, recency);
    const { top } = await scorer.top(history, recency, items);
    expect(top.items).toHaveLength(items);
    top.items.forEach((item, i) => {
      const contributions = history.map((h, p) => model.weights[h * items + item] * w[p]);
      expect(top.because[i]).toBe(contributions.indexOf(Math.max(...contributions)));
    });
  });

  it('still serves a version exported before the graph took candidates, as it did', async () => {
    const model = await fitEase(
      [
        [0, 1, 2],
        [1, 2, 3],
        [3, 4, 5],
        [0, 5, 4],
      ],
      6,
      1,
    );
    const [legacy, current] = await Promise.all([
      RecommenderScorer.load(legacyGraph(model)),
      RecommenderScorer.load(exportEaseRecommender(model)),
    ]);
    const history = [4, 1];
    expect(await legacy.top(history, undefined, 3, [0, 5])).toEqual(await current.top(history, undefined, 3, [0, 5]));
    expect(await legacy.candidateScores(history, [2, -1, 3])).toEqual(await current.candidateScores(history, [2, -1, 3]));
  });
});
