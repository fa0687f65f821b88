/** The exported ONNX model scores exactly as the trainer does. */
import { seededRandom } from '#lib/random';
import { easeScores, fitEase } from '#models/ease/ease';
import { EaseScorer, exportEase, historyWeights } from '#models/ease/serving';

describe('EASE export', () => {
  it('gives the trainer’s scores and the true top k, with and without recency', async () => {
    const items = 30;
    const rand = seededRandom(3);
    const byUser = Array.from({ length: 60 }, () => [...new Set(Array.from({ length: 6 }, () => Math.floor(rand() * rand() * items)))]);
    const model = await fitEase(byUser, items, 2);
    const scorer = await EaseScorer.load(exportEase(model, { version: 'test' }));
    const all = Array.from({ length: items }, (_, i) => i);
    for (const recency of [undefined, { boost: 4, tau: 2 }]) {
      for (const history of [[1], [3, 7, 1], byUser[5]]) {
        const expected = easeScores(model, history, all, recency);
        const { scores, top } = await scorer.top(history, recency, 5, true);
        all.forEach((i) => expect(scores![i]).toBeCloseTo(expected[i], 4));
        expect(await scorer.candidateScores(history, [2, -1, 9], recency)).toEqual([expect.closeTo(expected[2], 4), 0, expect.closeTo(expected[9], 4)]);
        const best = [...expected].map((s, i) => ({ i, s })).sort((a, b) => b.s - a.s).slice(0, 5);
        expect(Array.from(top.scores)).toEqual(best.map((b) => expect.closeTo(b.s, 4)));
      }
    }
  });

  it('names, for each top item, the history item that contributed most to its score', async () => {
    const items = 12;
    const byUser = [[0, 1, 2], [1, 2, 3], [3, 4, 5], [5, 6, 7], [7, 8, 9], [9, 10, 11], [0, 5, 10], [2, 4, 6]];
    const model = await fitEase(byUser, items, 1);
    const scorer = await EaseScorer.load(exportEase(model));
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
});
