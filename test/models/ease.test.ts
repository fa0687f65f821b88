/** EASE through the ONNX training graph equals the closed form computed directly. */
import { easeScores, fitEase } from '#models/ease/ease';

/** Gauss-Jordan inverse, for a small reference. */
function inverse(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    const p = m.reduce((best, row, r) => (r >= c && Math.abs(row[c]) > Math.abs(m[best][c]) ? r : best), c);
    [m[c], m[p]] = [m[p], m[c]];
    const pivot = m[c][c];
    m[c] = m[c].map((v) => v / pivot);
    for (let r = 0; r < n; r++) if (r !== c) m[r] = m[r].map((v, j) => v - m[r][c] * m[c][j]);
  }
  return m.map((row) => row.slice(n));
}

describe('EASE', () => {
  const byUser = [
    [0, 1],
    [0, 1, 2],
    [2, 3],
    [1, 3],
    [0, 2, 3],
  ];
  const items = 4;
  const lambda = 0.5;

  it('fits B = −P / diag(P) with a zero diagonal, P = (XᵀX + λI)⁻¹', async () => {
    const gram = Array.from({ length: items }, (_, i) =>
      Array.from({ length: items }, (_, j) => byUser.filter((l) => l.includes(i) && l.includes(j)).length + (i === j ? lambda : 0)),
    );
    const p = inverse(gram);
    const expected = p.map((row, i) => row.map((v, j) => (i === j ? 0 : -v / p[j][j])));
    const model = await fitEase(byUser, items, lambda);
    for (let i = 0; i < items; i++) for (let j = 0; j < items; j++) expect(model.weights[i * items + j]).toBeCloseTo(expected[i][j], 4);
  });

  it('scores candidates from a history, unknown candidates scoring 0', async () => {
    const model = await fitEase(byUser, items, lambda);
    const scores = easeScores(model, [0, 1], [2, 3, -1]);
    expect(scores[0]).toBeCloseTo(model.weights[0 * items + 2] + model.weights[1 * items + 2], 6);
    expect(scores[2]).toBe(0);
  });

  it('weighs recent history more when asked', async () => {
    const model = await fitEase(byUser, items, lambda);
    const b = (j: number, i: number) => model.weights[j * items + i];
    const [score] = easeScores(model, [0, 1], [3], { boost: 2, tau: 1 });
    expect(score).toBeCloseTo((1 + 2 * Math.exp(-1)) * b(0, 3) + 3 * b(1, 3), 6);
  });
});
