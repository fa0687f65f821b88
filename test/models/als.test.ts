/**
 * Implicit ALS: the conjugate-gradient graph solves each row's normal equations, training learns
 * the structure of the data, and the exported graph (fold-in, exhaustive or by neighbour recall)
 * scores exactly as the trainer's reference does.
 */
import * as ort from 'onnxruntime-node';
import { seededRandom } from '#lib/random';
import { AlsTrainer, factorScores, fitAls, foldIn, gramOf, solveSpd, type AlsModel } from '#models/als/als';
import { solveGraph } from '#models/als/graphs';
import { nearestItems } from '#models/als/neighbours';
import { rotate, symmetricEigen, type RotatedAls } from '#models/als/rotation';
import { easeScores, fitEase } from '#models/ease/ease';
import { exportRecommender } from '#models/recommender/graph';
import { RecommenderScorer } from '#models/recommender/scorer';
import { paddedBatches } from '#models/sparse/batches';
import { csrFromLists } from '#models/sparse/csr';

const CLUSTERS = 4;
const PER_CLUSTER = 10;
const ITEMS = CLUSTERS * PER_CLUSTER;

/** Users who touch items of their own cluster (item i is in cluster ⌊i / 10⌋). */
function clustered(users: number, seed = 5): number[][] {
  const rand = seededRandom(seed);
  return Array.from({ length: users }, (_, u) => [
    ...new Set(Array.from({ length: 5 }, () => (u % CLUSTERS) * PER_CLUSTER + Math.floor(rand() * PER_CLUSTER))),
  ]);
}

const byUser = clustered(200);
let model: AlsModel;
/** The same model in its Gram matrix's eigenbasis, as exported. */
let rotated: RotatedAls;
beforeAll(async () => {
  model = (await fitAls(csrFromLists(byUser, ITEMS), { dim: 8, reg: 0.01, unobserved: 0.1, epochs: 8 })).model;
  rotated = await rotate(model);
});

const all = Array.from({ length: ITEMS }, (_, i) => i);
const topOf = (scores: ArrayLike<number>, k: number) =>
  Array.from(scores, (s, i) => ({ i, s }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k);

/** The fold-in's matrix A for a history (every item once), as serving builds it. */
function foldInMatrix(m: AlsModel, history: number[]): Float64Array {
  const { dim, itemFactors: h } = m;
  const a = gramOf(m).map((v) => v * m.unobserved);
  for (const j of history) for (let p = 0; p < dim; p++) for (let q = 0; q < dim; q++) a[p * dim + q] += h[j * dim + p] * h[j * dim + q];
  for (let p = 0; p < dim; p++) a[p * dim + p] += m.reg * (history.length + m.unobserved * m.items);
  return a;
}

/** History item j's part in item i's score: h_iᵀ A⁻¹ h_j. */
function contribution(m: AlsModel, history: number[], i: number, j: number): number {
  const { dim, itemFactors: h } = m;
  const x = solveSpd(foldInMatrix(m, history), Float64Array.from(h.subarray(j * dim, (j + 1) * dim)), dim);
  return x.reduce((s, v, p) => s + v * h[i * dim + p], 0);
}

describe('ALS training', () => {
  it('the conjugate-gradient graph solves (Σ v_j f_j f_jᵀ + G + reg·I) x = Σ v_j f_j for every row of a batch', async () => {
    const rand = seededRandom(9);
    const [n, dim] = [7, 4];
    const F = Float32Array.from({ length: (n + 1) * dim }, (_, k) => (k < n * dim ? rand() - 0.5 : 0));
    const rows = csrFromLists([[0, 3, 5], [1], [2, 4, 6, 0], []], n, (r, c) => 0.5 + ((r + c) % 3));
    const G = Float32Array.from({ length: dim * dim }, (_, k) => (Math.floor(k / dim) === k % dim ? 0.3 : 0.05));
    const reg = [0.2, 0.5, 0.1, 1];
    // With as many steps as dimensions, conjugate gradient is exact (up to rounding).
    const session = await ort.InferenceSession.create(solveGraph(dim));
    for (const batch of paddedBatches(rows, 8, n)) {
      const b = batch.rows.length;
      const out = await session.run({
        F: new ort.Tensor('float32', F, [n + 1, dim]),
        G: new ort.Tensor('float32', G, [dim, dim]),
        idx: new ort.Tensor('int32', batch.indices, [b, batch.width]),
        val: new ort.Tensor('float32', batch.values, [b, batch.width]),
        reg: new ort.Tensor(
          'float32',
          Float32Array.from(batch.rows, (r) => reg[r]),
          [b, 1],
        ),
        x0: new ort.Tensor(
          'float32',
          Float32Array.from({ length: b * dim }, () => rand()),
          [b, dim],
        ),
      });
      batch.rows.forEach((r, k) => {
        const a = Float64Array.from(G);
        const rhs = new Float64Array(dim);
        for (let e = rows.indptr[r]; e < rows.indptr[r + 1]; e++) {
          const [j, v] = [rows.indices[e], rows.values[e]];
          for (let p = 0; p < dim; p++) {
            rhs[p] += v * F[j * dim + p];
            for (let q = 0; q < dim; q++) a[p * dim + q] += v * F[j * dim + p] * F[j * dim + q];
          }
        }
        for (let p = 0; p < dim; p++) a[p * dim + p] += reg[r];
        const expected = solveSpd(a, rhs, dim);
        const got = (out.x.data as Float32Array).subarray(k * dim, (k + 1) * dim);
        expected.forEach((v, p) => expect(got[p]).toBeCloseTo(v, 4));
      });
    }
  });

  it('learns the clusters: a history in one cluster ranks that cluster first', () => {
    for (let c = 0; c < CLUSTERS; c++) {
      const history = [c * PER_CLUSTER, c * PER_CLUSTER + 3];
      const best = topOf(factorScores(model, foldIn(model, history, [1, 1]), all), 5);
      expect(best.map(({ i }) => Math.floor(i / PER_CLUSTER))).toEqual(Array(5).fill(c));
    }
  });

  it('leaves each user with the factors a fold-in of their history gives (the user half-step, solved)', async () => {
    const fit = await fitAls(
      csrFromLists(byUser, ITEMS),
      { dim: 8, reg: 0.01, unobserved: 0.1, epochs: 12 },
      { trainer: await AlsTrainer.create() },
    );
    for (const u of [0, 1, 7, 42]) {
      const trained = fit.userFactors.subarray(u * 8, (u + 1) * 8);
      const folded = foldIn(
        fit.model,
        byUser[u],
        byUser[u].map(() => 1),
      );
      folded.forEach((v, p) => expect(trained[p]).toBeCloseTo(v, 2));
    }
  });
});

describe('ALS export', () => {
  it('turns the factors into the eigenbasis of their Gram matrix', () => {
    const rand = seededRandom(4);
    const n = 6;
    const b = Float64Array.from({ length: n * n }, () => rand() - 0.5);
    const a = Float64Array.from({ length: n * n }, (_, k) =>
      Array.from({ length: n }, (_, j) => b[Math.floor(k / n) * n + j] * b[(k % n) * n + j]).reduce((x, y) => x + y, 0),
    );
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        expect(
          Array.from({ length: n }, (_, e) => vectors[i * n + e] * values[e] * vectors[j * n + e]).reduce((x, y) => x + y, 0),
        ).toBeCloseTo(a[i * n + j], 8);
    expect(rotated.factors).toHaveLength(model.itemFactors.length);
  });

  it('scores every item as the fold-in does, returns the true top k, and names the history item adding most', async () => {
    const scorer = await RecommenderScorer.load(exportRecommender({ items: ITEMS, als: { model: rotated, weight: 1 } }));
    for (const history of [[1], [3, 17, 1], byUser[5], [0, 10, 20, 30]]) {
      const expected = factorScores(
        model,
        foldIn(
          model,
          history,
          history.map(() => 1),
        ),
        all,
      );
      const { top, candidateScores } = await scorer.top(history, undefined, 5, all);
      all.forEach((i) => expect(candidateScores![i]).toBeCloseTo(expected[i], 4));
      expect(Array.from(top.scores)).toEqual(topOf(expected, 5).map((b) => expect.closeTo(b.s, 4)));
      top.items.forEach((item, n) => {
        const parts = history.map((j) => contribution(model, history, item, j));
        expect(top.because[n]).toBe(parts.indexOf(Math.max(...parts)));
      });
      expect(await scorer.candidateScores(history, [2, -1, 9])).toEqual([
        expect.closeTo(expected[2], 4),
        0,
        expect.closeTo(expected[9], 4),
      ]);
    }
  });

  it('a blend adds the weighted scores of EASE and ALS', async () => {
    const ease = await fitEase(byUser, ITEMS, 5);
    const scorer = await RecommenderScorer.load(
      exportRecommender({ items: ITEMS, ease: { model: ease, weight: 0.4 }, als: { model: rotated, weight: 2.5 } }),
    );
    const history = [4, 12, 33];
    const e = easeScores(ease, history, all);
    const a = factorScores(model, foldIn(model, history, [1, 1, 1]), all);
    const { top, candidateScores } = await scorer.top(history, undefined, 3, all);
    all.forEach((i) => expect(candidateScores![i]).toBeCloseTo(0.4 * e[i] + 2.5 * a[i], 4));
    expect(Array.from(top.items)).toEqual(topOf(candidateScores!, 3).map((b) => b.i));
  });

  it('recalls each item’s nearest items under its own ranking, and ranks only those of the history and the candidates', async () => {
    const K = 5;
    const neighbours = await nearestItems(rotated, K);
    const { dim, itemFactors: h } = model;
    for (const i of [0, 11, 25, 39]) {
      const m = gramOf(model).map((v) => v * model.unobserved);
      for (let p = 0; p < dim; p++) m[p * dim + p] += model.reg * (1 + model.unobserved * ITEMS);
      const q = solveSpd(m, Float64Array.from(h.subarray(i * dim, (i + 1) * dim)), dim);
      const expected = topOf(
        Float64Array.from(all, (j) => (j === i ? -Infinity : q.reduce((s, v, p) => s + v * h[j * dim + p], 0))),
        K,
      ).map((b) => b.i);
      expect(Array.from(neighbours.items.subarray(i * K, (i + 1) * K))).toEqual(expected);
    }
    const scorer = await RecommenderScorer.load(exportRecommender({ items: ITEMS, als: { model: rotated, weight: 1 }, neighbours }));
    const history = [2, 31];
    const pool = new Set([...history.flatMap((j) => Array.from(neighbours.items.subarray(j * K, (j + 1) * K))), 20]);
    const expected = factorScores(model, foldIn(model, history, [1, 1]), all);
    const { top, candidateScores } = await scorer.top(history, undefined, 100, [20]);
    expect(new Set(top.items)).toEqual(pool);
    top.items.forEach((item, n) => expect(top.scores[n]).toBeCloseTo(expected[item], 4));
    expect(candidateScores![0]).toBeCloseTo(expected[20], 4);
  });
});
