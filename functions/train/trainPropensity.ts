/**
 * The propensity use case: from the conversions dataset, hold out a stratified fifth of the
 * users, fit an L2 logistic regression on standardised features, export it to ONNX, evaluate
 * the exported model (and the champion, if it reads the same features) on the held-out users,
 * register the version and promote it if its AUC is higher.
 */
import { unprocessable } from '#lib/errors';
import type { ConversionSet } from '#models/datasets/conversions';
import { seededRandom, shuffled } from '#lib/random';
import { FEATURE_NAMES, propensityFeatures } from '#models/propensity/features';
import { exportPropensity, PROPENSITY_MODEL, PropensityScorer } from '#models/propensity/serving';
import { standardisation } from '#models/shared/standardisation';
import { modelMeta } from '#models/registry';
import { fitLogistic } from '#models/shared/logistic';
import { rocAuc } from '#models/shared/upliftMetrics';
import { challengeChampion, evaluationIdOf, release, type TrainDeps, type TrainResult } from './release';

const CODE_VERSION = 'propensity-logistic-1';
const PRIMARY_METRIC = 'auc';
const L2 = 1;
const HELD_OUT_SHARE = 0.2;
const MIN_PER_CLASS = 10;
/** "Converts in the next days": a purchase within this many days. */
export const HORIZON_DAYS = 7;

/** Why the set cannot train a model (too few buyers or non-buyers), or undefined. */
export function tooFewConversions(set: ConversionSet): string | undefined {
  const buyers = set.labels.reduce((n, l) => n + l, 0);
  if (buyers < MIN_PER_CLASS || set.labels.length - buyers < MIN_PER_CLASS) {
    return (
      `not enough conversions yet: ${buyers} of ${set.labels.length} active users bought ` +
      `within ${set.horizonDays} days of the cutoff (${MIN_PER_CLASS} of each needed)`
    );
  }
  return undefined;
}

/** Indices of a seeded, stratified held-out share: that share of the buyers and of the rest. */
function heldOut(labels: Uint8Array, share: number): Set<number> {
  const rand = seededRandom(7);
  const out = new Set<number>();
  for (const label of [0, 1]) {
    const group = shuffled(
      [...labels.keys()].filter((i) => labels[i] === label),
      rand,
    );
    group.slice(0, Math.round(group.length * share)).forEach((i) => out.add(i));
  }
  return out;
}

async function evaluate(model: Buffer, rows: Float64Array[], labels: Uint8Array) {
  const p = await (await PropensityScorer.load(model)).score(rows);
  let logLoss = 0;
  p.forEach((q, i) => (logLoss -= Math.log(Math.min(Math.max(labels[i] ? q : 1 - q, 1e-7), 1)) / p.length));
  return { auc: Number(rocAuc(p, labels).toFixed(4)), log_loss: Number(logLoss.toFixed(4)), users: p.length };
}

export async function trainPropensity(deps: TrainDeps, set: ConversionSet): Promise<TrainResult> {
  const tooFew = tooFewConversions(set);
  if (tooFew) throw unprocessable('not_enough_data', tooFew);
  const buyers = set.labels.reduce((n, l) => n + l, 0);
  const rows = set.users.map((u) => propensityFeatures(u, set.cutoff));
  const test = heldOut(set.labels, HELD_OUT_SHARE);
  const pick = (inTest: boolean) => [...rows.keys()].filter((i) => test.has(i) === inTest);
  const [fitRows, testRows] = [pick(false), pick(true)];

  const scale = standardisation(fitRows.map((i) => rows[i]));
  const scaled = fitRows.map((i) => rows[i].map((v, j) => (v - scale.mean[j]) / scale.std[j]));
  const model = fitLogistic(
    scaled,
    Uint8Array.from(fitRows, (i) => set.labels[i]),
    L2,
  );
  const onnx = exportPropensity(model, scale, { horizon_days: String(set.horizonDays) });
  const testLabels = Uint8Array.from(testRows, (i) => set.labels[i]);
  const metrics = await evaluate(
    onnx,
    testRows.map((i) => rows[i]),
    testLabels,
  );

  // A champion reading other features cannot be scored here; the new spec is what serving computes.
  const champion = await challengeChampion(deps, PROPENSITY_MODEL, (meta, bytes) =>
    JSON.stringify(meta.params.features) === JSON.stringify(FEATURE_NAMES)
      ? evaluate(
          bytes,
          testRows.map((i) => rows[i]),
          testLabels,
        )
      : undefined,
  );

  const cutoff = new Date(set.cutoff).toISOString();
  const evaluationId = evaluationIdOf({ cutoff, horizon: set.horizonDays, users: testRows.map((i) => set.userIds[i]) });
  const meta = modelMeta(
    {
      name: PROPENSITY_MODEL,
      evaluation: {
        id: evaluationId,
        protocol: `held-out stratified ${HELD_OUT_SHARE * 100}% of users; purchase within ${set.horizonDays} days of the cutoff`,
        users: metrics.users,
      },
      metrics,
      ...champion,
      dataWindow: { to: cutoff, source: 'raw-log' },
      params: { l2: L2, horizonDays: set.horizonDays, cutoff, features: FEATURE_NAMES, users: rows.length, buyers },
      itemIds: [],
      codeVersion: CODE_VERSION,
    },
    new Date(deps.clock()),
  );
  return release(deps, meta, onnx, PRIMARY_METRIC);
}
