/**
 * `npm run eval:uplift -- --data hillstrom.csv`: Womens E-Mail vs No E-Mail, target `visit`,
 * a stratified 50/50 split. A two-model (T-learner) propensity: one logistic regression per
 * arm; uplift = p(visit | e-mail) − p(visit | none). The L2 strength is chosen by Qini on a
 * stratified split of the training half. Reports the propensity AUC, the Qini coefficient and
 * uplift@30% on the test half; last line JSON.
 */
import { parseArgs } from 'node:util';
import { fitLogistic, predictLogistic } from '../../models/uplift/logistic';
import { qiniCoefficient, rocAuc, upliftAtK } from '../../models/uplift/metrics';
import { readHillstrom, stratifiedHalves } from '../../models/uplift/hillstrom';

const { values } = parseArgs({ options: { data: { type: 'string' }, seed: { type: 'string', default: '42' } } });
if (!values.data) {
  process.stderr.write('usage: npm run eval:uplift -- --data ../shared/data/hillstrom/Kevin_Hillstrom_MineThatData_E-MailAnalytics_DataMiningChallenge_2008.03.20.csv\n');
  process.exit(2);
}

type Rows = ReturnType<typeof readHillstrom>;

/** Fits one model per arm and predicts both propensities and the uplift for `rows`. */
function tLearner(train: Rows, rows: Rows, l2: number) {
  const fit = (t: 0 | 1) => {
    const arm = train.filter((r) => r.treated === t);
    return fitLogistic(arm.map((r) => r.features), Uint8Array.from(arm.map((r) => r.y)), l2);
  };
  const [treatedModel, controlModel] = [fit(1), fit(0)];
  const pt = rows.map((r) => predictLogistic(treatedModel, r.features));
  const pc = rows.map((r) => predictLogistic(controlModel, r.features));
  return { pt, pc, uplift: pt.map((p, i) => p - pc[i]) };
}

const started = performance.now();
const { train, test } = stratifiedHalves(readHillstrom(values.data), Number(values.seed));
const inner = stratifiedHalves(train, Number(values.seed) + 1);
const l2 = [0.3, 1, 3, 10, 30, 100]
  .map((l) => ({ l, qini: qiniCoefficient(tLearner(inner.train, inner.test, l).uplift, inner.test.map((r) => r.y), inner.test.map((r) => r.treated)) }))
  .reduce((a, b) => (b.qini > a.qini ? b : a)).l;
const { pt, pc, uplift } = tLearner(train, test, l2);
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
