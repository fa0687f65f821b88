/**
 * `npm run eval:uplift -- --data hillstrom.csv [--seed 42]`: Womens E-Mail vs No E-Mail, target
 * `visit`, the T-learner the platform trains (models/uplift/tLearner.ts): one logistic
 * regression per arm, uplift = p(visit | e-mail) − p(visit | none). Each split halves the data
 * stratified by treatment × visit; the L2 strength is chosen by Qini on a stratified split of
 * the training half, and the test half is scored through the exported ONNX model. Reports the
 * propensity AUC, the Qini coefficient and uplift@30% on the `--seed` split, and their mean ±
 * standard deviation over ten seeded splits (seeds 1–10), as one JSON line.
 */
import { parseArgs } from 'node:util';
import { qiniCoefficient, rocAuc, upliftAtK } from '#models/shared/upliftMetrics';
import { readHillstrom, stratifiedHalves, type UpliftRow } from '#models/uplift/hillstrom';
import { exportUplift, UpliftScorer } from '#models/uplift/serving';
import { fitTLearner, upliftOf } from '#models/uplift/tLearner';

const { values } = parseArgs({ options: { data: { type: 'string' }, seed: { type: 'string', default: '42' } } });
if (!values.data) {
  process.stderr.write(
    'usage: npm run eval:uplift -- --data ' +
      '../shared/data/hillstrom/Kevin_Hillstrom_MineThatData_E-MailAnalytics_DataMiningChallenge_2008.03.20.csv\n',
  );
  process.exit(2);
}

const L2_GRID = [0.3, 1, 3, 10, 30, 100];
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const METRICS = ['auc', 'qini', 'uplift@30%'] as const;
type Metrics = Record<(typeof METRICS)[number], number>;

const fit = (rows: UpliftRow[], l2: number) =>
  fitTLearner(
    rows.map((r) => r.features),
    rows.map((r) => r.treated),
    rows.map((r) => r.y),
    l2,
  );
const qiniOn = (rows: UpliftRow[], uplift: number[]) =>
  qiniCoefficient(
    uplift,
    rows.map((r) => r.y),
    rows.map((r) => r.treated),
  );

async function evaluateSplit(rows: UpliftRow[], seed: number): Promise<Metrics & { seed: number; l2: number }> {
  const { train, test } = stratifiedHalves(rows, seed);
  const inner = stratifiedHalves(train, seed + 1);
  const l2 = L2_GRID.map((l) => {
    const m = fit(inner.train, l);
    return {
      l,
      qini: qiniOn(
        inner.test,
        inner.test.map((r) => upliftOf(m, r.features)),
      ),
    };
  }).reduce((a, b) => (b.qini > a.qini ? b : a)).l;
  // The test half is scored by the exported ONNX model: what is measured is what is served.
  const model = fit(train, l2);
  const scorer = await UpliftScorer.load(exportUplift(model.treated, model.control, { l2: String(l2) }));
  const { treated: pt, control: pc, uplift } = await scorer.score(test.map((r) => r.features));
  const y = test.map((r) => r.y);
  const treated = test.map((r) => r.treated);
  return {
    seed,
    l2,
    auc: rocAuc(
      test.map((r, i) => (r.treated ? pt[i] : pc[i])),
      y,
    ),
    qini: qiniCoefficient(uplift, y, treated),
    'uplift@30%': upliftAtK(uplift, y, treated, 0.3),
  };
}

const round = (v: number) => Number(v.toFixed(4));

/** Mean and sample standard deviation. */
function meanSd(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
  return { mean: round(mean), sd: round(sd) };
}

async function main() {
  const started = performance.now();
  const rows = readHillstrom(values.data!);
  const seed = Number(values.seed);
  const single = await evaluateSplit(rows, seed);
  const splits: Awaited<ReturnType<typeof evaluateSplit>>[] = [];
  for (const s of SEEDS) splits.push(await evaluateSplit(rows, s));
  const result = {
    model: 't-learner logistic regression (standardised features)',
    rows: rows.length,
    split: {
      seed,
      protocol: 'stratified 50/50 (treatment × visit)',
      l2: single.l2,
      ...Object.fromEntries(METRICS.map((m) => [m, round(single[m])])),
    },
    splits: {
      seeds: SEEDS,
      protocol: 'stratified 50/50 (treatment × visit), one per seed',
      ...Object.fromEntries(METRICS.map((m) => [m, meanSd(splits.map((s) => s[m]))])),
      l2: splits.map((s) => s.l2),
    },
    seconds: round((performance.now() - started) / 1000),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`eval:uplift failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
