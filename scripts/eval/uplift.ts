/**
 * `npm run eval:uplift -- --data hillstrom.csv`: Womens E-Mail vs No E-Mail, target `visit`,
 * a stratified 50/50 split. A two-model (T-learner) propensity: one logistic regression per
 * arm; uplift = p(visit | e-mail) − p(visit | none). The L2 strength is chosen by Qini on a
 * stratified split of the training half. Reports the propensity AUC, the Qini coefficient and
 * uplift@30% on the test half; last line JSON.
 */
import { parseArgs } from 'node:util';
import { fitLogistic, predictLogistic } from '#models/shared/logistic';
import { qiniCoefficient, rocAuc, upliftAtK } from '#models/shared/upliftMetrics';
import { readHillstrom, stratifiedHalves } from '#models/uplift/hillstrom';
import { exportUplift, UpliftScorer } from '#models/uplift/serving';

const { values } = parseArgs({ options: { data: { type: 'string' }, seed: { type: 'string', default: '42' } } });
if (!values.data) {
  process.stderr.write('usage: npm run eval:uplift -- --data ../shared/data/hillstrom/Kevin_Hillstrom_MineThatData_E-MailAnalytics_DataMiningChallenge_2008.03.20.csv\n');
  process.exit(2);
}

type Rows = ReturnType<typeof readHillstrom>;

/** One logistic regression per arm. */
function tLearner(train: Rows, l2: number) {
  const fit = (t: 0 | 1) => {
    const arm = train.filter((r) => r.treated === t);
    return fitLogistic(arm.map((r) => r.features), Uint8Array.from(arm.map((r) => r.y)), l2);
  };
  return { treated: fit(1), control: fit(0) };
}

const upliftOf = (m: ReturnType<typeof tLearner>, rows: Rows) => rows.map((r) => predictLogistic(m.treated, r.features) - predictLogistic(m.control, r.features));

async function main() {
  const started = performance.now();
  const { train, test } = stratifiedHalves(readHillstrom(values.data!), Number(values.seed));
  const inner = stratifiedHalves(train, Number(values.seed) + 1);
  const l2 = [0.3, 1, 3, 10, 30, 100]
    .map((l) => ({ l, qini: qiniCoefficient(upliftOf(tLearner(inner.train, l), inner.test), inner.test.map((r) => r.y), inner.test.map((r) => r.treated)) }))
    .reduce((a, b) => (b.qini > a.qini ? b : a)).l;
  // The test half is scored by the exported ONNX model: what is measured is what is served.
  const model = tLearner(train, l2);
  const scorer = await UpliftScorer.load(exportUplift(model.treated, model.control, { l2: String(l2) }));
  const { treated: pt, control: pc, uplift } = await scorer.score(test.map((r) => r.features));
  const y = test.map((r) => r.y);
  const treated = test.map((r) => r.treated);
  const result = {
    auc: Number(rocAuc(test.map((r, i) => (r.treated ? pt[i] : pc[i])), y).toFixed(4)),
    qini: Number(qiniCoefficient(uplift, y, treated).toFixed(4)),
    'uplift@30%': Number(upliftAtK(uplift, y, treated, 0.3).toFixed(4)),
    model: 't-learner logistic regression',
    l2,
    train: train.length,
    test: test.length,
    seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`eval:uplift failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
