/**
 * The uplift use case: from what finished campaign runs did (treated and control people, their
 * features at each run's start, purchases within its attribution window), hold out a fraction
 * stratified by treatment × conversion, fit the T-learner on the rest, export it to ONNX,
 * evaluate the exported model (and the champion, if it reads the same features) on the
 * held-out people by Qini, register the version and promote it if its Qini is higher.
 */
import { unprocessable } from '#lib/errors';
import { seededRandom, shuffled } from '#lib/random';
import type { CampaignOutcomes } from '#models/datasets/campaignOutcomes';
import { FEATURE_NAMES, propensityFeatures } from '#models/propensity/features';
import { modelMeta } from '#models/registry';
import { qiniCoefficient, rocAuc, upliftAtK } from '#models/shared/upliftMetrics';
import { exportUplift, UPLIFT_MODEL, UpliftScorer } from '#models/uplift/serving';
import { fitTLearner } from '#models/uplift/tLearner';
import { challengeChampion, evaluationIdOf, release, type TrainDeps, type TrainResult } from './release';

const CODE_VERSION = 'uplift-t-learner-1';
const PRIMARY_METRIC = 'qini';
/** On standardised features; Hillstrom's Qini hardly moves between 0.3 and 300 (npm run eval:uplift). */
const L2 = 10;
const HELD_OUT_SHARE = 0.3;
const TOP_SHARE = 0.3;
const MIN_PER_CLASS = 10;

/** Why the outcomes cannot train a model (too few buyers or non-buyers among the treated or the controls), or undefined. */
export function tooFewCampaignOutcomes(set: CampaignOutcomes): string | undefined {
  const count = (treated: 0 | 1) => {
    const arm = set.examples.filter((e) => e.treated === treated);
    return { people: arm.length, bought: arm.filter((e) => e.converted).length };
  };
  const [t, c] = [count(1), count(0)];
  if ([t, c].some((a) => a.bought < MIN_PER_CLASS || a.people - a.bought < MIN_PER_CLASS)) {
    return (
      `not enough campaign outcomes yet: ${t.bought} of ${t.people} treated and ${c.bought} of ${c.people} control people bought ` +
      `within the attribution window of ${set.runs.length} finished runs (${set.open} ` +
      `still open; ${MIN_PER_CLASS} buyers and ${MIN_PER_CLASS} non-buyers of each needed)`
    );
  }
  return undefined;
}

/** Indices of a seeded held-out share of each (treated, converted) stratum. */
function heldOut(set: CampaignOutcomes, share: number): Set<number> {
  const rand = seededRandom(7);
  const out = new Set<number>();
  for (const stratum of ['00', '01', '10', '11']) {
    const group = shuffled(
      [...set.examples.keys()].filter((i) => `${set.examples[i].treated}${set.examples[i].converted}` === stratum),
      rand,
    );
    group.slice(0, Math.round(group.length * share)).forEach((i) => out.add(i));
  }
  return out;
}

async function evaluate(model: Buffer, rows: Float64Array[], treated: number[], converted: number[]) {
  const { treated: pt, control: pc, uplift } = await (await UpliftScorer.load(model)).score(rows);
  return {
    qini: Number(qiniCoefficient(uplift, converted, treated).toFixed(4)),
    [`uplift@${TOP_SHARE * 100}%`]: Number(upliftAtK(uplift, converted, treated, TOP_SHARE).toFixed(4)),
    auc: Number(
      rocAuc(
        treated.map((t, i) => (t ? pt[i] : pc[i])),
        converted,
      ).toFixed(4),
    ),
    users: rows.length,
  };
}

export async function trainUplift(deps: TrainDeps, set: CampaignOutcomes): Promise<TrainResult> {
  const tooFew = tooFewCampaignOutcomes(set);
  if (tooFew) throw unprocessable('not_enough_data', tooFew);
  const rows = set.examples.map((e, i) => propensityFeatures(set.users[i], e.at));
  const test = heldOut(set, HELD_OUT_SHARE);
  const pick = (inTest: boolean) => [...rows.keys()].filter((i) => test.has(i) === inTest);
  const [fitRows, testRows] = [pick(false), pick(true)];

  const column = (indices: number[], of: 'treated' | 'converted') => indices.map((i) => set.examples[i][of]);
  const model = fitTLearner(
    fitRows.map((i) => rows[i]),
    column(fitRows, 'treated'),
    column(fitRows, 'converted'),
    L2,
  );
  const onnx = exportUplift(model.treated, model.control, { l2: String(L2) });
  const testSet = [testRows.map((i) => rows[i]), column(testRows, 'treated'), column(testRows, 'converted')] as const;
  const metrics = await evaluate(onnx, ...testSet);

  // A champion reading other features cannot be scored here; the new spec is what serving computes.
  const champion = await challengeChampion(deps, UPLIFT_MODEL, (meta, bytes) =>
    JSON.stringify(meta.params.features) === JSON.stringify(FEATURE_NAMES) ? evaluate(bytes, ...testSet) : undefined,
  );

  const evaluationId = evaluationIdOf({ runs: set.runs, people: testRows.map((i) => `${set.examples[i].run}|${set.examples[i].userId}`) });
  const treatedPeople = set.examples.filter((e) => e.treated).length;
  const meta = modelMeta(
    {
      name: UPLIFT_MODEL,
      evaluation: {
        id: evaluationId,
        protocol:
          `held-out ${HELD_OUT_SHARE * 100}% of campaign contacts, stratified ` +
          `by treatment × purchase within each run's attribution window`,
        users: metrics.users,
      },
      metrics,
      ...champion,
      dataWindow: { from: new Date(set.examples[0].at).toISOString(), source: 'campaign-runs' }, // runs come oldest first
      params: { l2: L2, features: FEATURE_NAMES, runs: set.runs, treated: treatedPeople, control: set.examples.length - treatedPeople },
      itemIds: [],
      codeVersion: CODE_VERSION,
    },
    new Date(deps.clock()),
  );
  return release(deps, meta, onnx, PRIMARY_METRIC);
}
