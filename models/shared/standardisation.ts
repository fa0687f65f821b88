/** Each feature's mean and standard deviation over the training rows, so a linear model fits features on one scale. */
export interface Standardisation {
  mean: Float64Array;
  std: Float64Array;
}

export function standardisation(rows: Float64Array[]): Standardisation {
  const d = rows[0].length;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) std[j] += (r[j] - mean[j]) ** 2 / rows.length;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]) || 1; // a constant feature stays 0 after scaling
  return { mean, std };
}
