/**
 * The two-model (T-learner) uplift model: one L2 logistic regression on the treated, one on
 * the controls, uplift = p(convert | message) − p(convert | none). Features are standardised
 * (on both arms together) while fitting, so the penalty weighs every feature alike; the scale
 * is then folded into the weights, so the fitted models, and `exportUplift`, read raw features.
 */
import { fitLogistic, predictLogistic, type Logistic } from '#models/shared/logistic';
import { standardisation, type Standardisation } from '#models/shared/standardisation';

export interface TLearner {
  treated: Logistic;
  control: Logistic;
}

/** The same model reading raw features: w' = w / std, b' = b − Σ w·mean / std. */
export function onRawFeatures(m: Logistic, scale: Standardisation): Logistic {
  const weights = m.weights.map((w, j) => w / scale.std[j]);
  return { weights, bias: m.bias - weights.reduce((s, w, j) => s + w * scale.mean[j], 0) };
}

/** Fits both arms; `treated[i]` and `labels[i]` are 0 or 1 for `rows[i]`. */
export function fitTLearner(rows: Float64Array[], treated: ArrayLike<number>, labels: ArrayLike<number>, l2: number): TLearner {
  const scale = standardisation(rows);
  const arm = (t: number) => {
    const picked = rows.flatMap((_, i) => (treated[i] === t ? [i] : []));
    const scaled = picked.map((i) => rows[i].map((v, j) => (v - scale.mean[j]) / scale.std[j]));
    return onRawFeatures(
      fitLogistic(
        scaled,
        Uint8Array.from(picked, (i) => labels[i]),
        l2,
      ),
      scale,
    );
  };
  return { treated: arm(1), control: arm(0) };
}

/** The fitted uplift of one row of raw features. */
export const upliftOf = (m: TLearner, x: Float64Array) => predictLogistic(m.treated, x) - predictLogistic(m.control, x);
