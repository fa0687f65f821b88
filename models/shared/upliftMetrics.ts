/** Uplift and propensity metrics: ROC AUC, uplift@k, and the Qini coefficient (normalised as in scikit-uplift). */

/** ROC AUC with ties counted as half. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k]]) (rankSum += avgRank), positives++;
    i = j + 1;
  }
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Responders and people in each arm, counted as `add` is called person by person. */
function arms(y: ArrayLike<number>, treated: ArrayLike<number>) {
  const t = { yt: 0, nt: 0, yc: 0, nc: 0 };
  const add = (i: number) => {
    if (treated[i]) (t.yt += y[i]), t.nt++;
    else (t.yc += y[i]), t.nc++;
  };
  return { t, add };
}

/** Response rate of the treated minus that of the controls among the top `k` share ranked by predicted uplift. */
export function upliftAtK(uplift: ArrayLike<number>, y: ArrayLike<number>, treated: ArrayLike<number>, k: number): number {
  const order = Array.from({ length: uplift.length }, (_, i) => i).sort((a, b) => uplift[b] - uplift[a]);
  const top = order.slice(0, Math.ceil(order.length * k));
  const { t, add } = arms(y, treated);
  top.forEach(add);
  return t.yt / t.nt - t.yc / t.nc;
}

/** Area under the Qini curve Q(n) = Y_t(n) − Y_c(n)·N_t(n)/N_c(n) for an ordering (trapezoids). */
function qiniArea(order: number[], y: ArrayLike<number>, treated: ArrayLike<number>): number {
  const { t, add } = arms(y, treated);
  let area = 0;
  let prev = 0;
  for (const i of order) {
    add(i);
    const q = t.nc > 0 ? t.yt - (t.yc * t.nt) / t.nc : t.yt;
    area += (prev + q) / 2;
    prev = q;
  }
  return area;
}

/** (Qini area − random) / (perfect − random): 1 is a perfect ordering, 0 no better than random. */
export function qiniCoefficient(uplift: ArrayLike<number>, y: ArrayLike<number>, treated: ArrayLike<number>): number {
  const idx = Array.from({ length: uplift.length }, (_, i) => i);
  const model = qiniArea(
    [...idx].sort((a, b) => uplift[b] - uplift[a]),
    y,
    treated,
  );
  // Perfect: treated responders first, control responders last (negative effects allowed).
  const perfectKey = (i: number) => (treated[i] ? y[i] : -y[i]);
  const perfect = qiniArea(
    [...idx].sort((a, b) => perfectKey(b) - perfectKey(a)),
    y,
    treated,
  );
  // Random: a straight line from 0 to the curve's end point Q(N).
  const { t, add } = arms(y, treated);
  idx.forEach(add);
  const random = ((t.yt - (t.yc * t.nt) / t.nc) * idx.length) / 2;
  return (model - random) / (perfect - random);
}
