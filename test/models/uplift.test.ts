/** Uplift building blocks checked on cases small enough to compute by hand. */
import { csvFields, stratifiedHalves } from '#models/uplift/hillstrom';
import { fitLogistic, predictLogistic } from '#models/shared/logistic';
import { qiniCoefficient, rocAuc, upliftAtK } from '#models/shared/upliftMetrics';
import { exportUplift, UpliftScorer } from '#models/uplift/serving';
import { seededRandom } from '#lib/random';

describe('uplift metrics', () => {
  it('ROC AUC counts ties as half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
  });

  it('uplift@k is the treated minus control response rate among the top k', () => {
    // ranked: (t,1) (c,0) (t,1) (c,1) | (t,0) (c,0)
    const uplift = [0.9, 0.8, 0.7, 0.6, 0.2, 0.1];
    const y = [1, 0, 1, 1, 0, 0];
    const treated = [1, 0, 1, 0, 1, 0];
    expect(upliftAtK(uplift, y, treated, 4 / 6)).toBeCloseTo(1 - 0.5, 12);
    expect(upliftAtK(uplift, y, treated, 1)).toBeCloseTo(2 / 3 - 1 / 3, 12);
  });

  it('the Qini coefficient is 1 for the perfect ordering and falls for worse ones', () => {
    const y = [1, 0, 1, 0, 0, 1];
    const treated = [1, 1, 1, 0, 0, 0];
    const perfect = [3, 1, 3, 1, 1, 0];
    expect(qiniCoefficient(perfect, y, treated)).toBeCloseTo(1, 12);
    expect(
      qiniCoefficient(
        perfect.map((v) => -v),
        y,
        treated,
      ),
    ).toBeLessThan(0);
  });
});

describe('logistic regression', () => {
  it('recovers the coefficients that generated the data', () => {
    const rand = seededRandom(5);
    const xs: Float64Array[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const x = Float64Array.from([rand() * 2 - 1, rand() < 0.5 ? 1 : 0]);
      const p = 1 / (1 + Math.exp(-(1.5 * x[0] - 1 * x[1] + 0.3)));
      xs.push(x);
      ys.push(rand() < p ? 1 : 0);
    }
    const m = fitLogistic(xs, Uint8Array.from(ys), 0.01);
    expect(m.weights[0]).toBeCloseTo(1.5, 0);
    expect(m.weights[1]).toBeCloseTo(-1, 0);
    expect(m.bias).toBeCloseTo(0.3, 0);
    expect(predictLogistic(m, Float64Array.from([0, 0]))).toBeCloseTo(1 / (1 + Math.exp(-m.bias)), 12);
  });
});

describe('Hillstrom reading', () => {
  it('splits CSV lines with quoted commas', () => {
    expect(csvFields('5,"6) $750 - $1,000",828.42,Web')).toEqual(['5', '6) $750 - $1,000', '828.42', 'Web']);
  });

  it('halves each (treatment, outcome) stratum', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({
      features: new Float64Array(0),
      treated: (i % 2) as 0 | 1,
      y: (i % 4 < 2 ? 1 : 0) as 0 | 1,
    }));
    const { train, test } = stratifiedHalves(rows, 1);
    for (const half of [train, test])
      for (const t of [0, 1]) for (const y of [0, 1]) expect(half.filter((r) => r.treated === t && r.y === y)).toHaveLength(5);
  });
});

describe('uplift export', () => {
  it('the ONNX model gives the trainer’s propensities and uplift', async () => {
    const treated = { weights: Float64Array.from([0.5, -1.2, 2]), bias: -0.3 };
    const control = { weights: Float64Array.from([0.1, 0.4, -0.5]), bias: -1 };
    const rows = [Float64Array.from([1, 0, 0.5]), Float64Array.from([0, 1, -2]), Float64Array.from([0.3, 0.3, 0.3])];
    const out = await (await UpliftScorer.load(exportUplift(treated, control))).score(rows);
    rows.forEach((x, i) => {
      const pt = predictLogistic(treated, x);
      const pc = predictLogistic(control, x);
      expect(out.treated[i]).toBeCloseTo(pt, 5);
      expect(out.control[i]).toBeCloseTo(pc, 5);
      expect(out.uplift[i]).toBeCloseTo(pt - pc, 5);
    });
  });
});
