/**
 * The propensity model's features, computed from the feature store's view of a user
 * (`FeatureStore.user`): training builds that view with the same code from the raw log, so
 * what the model learnt from is what campaign scoring reads from Redis.
 */
import type { UserFeatures } from '#lib/featureStore';

const TYPES = ['page_view', 'click', 'favorite', 'add_to_cart', 'purchase', 'share', 'search'] as const;
const WINDOWS = ['d1', 'd7', 'd30'] as const;
const DAY_MS = 24 * 3600_000;

/** Feature names, in vector order; a model's meta keeps them, so a changed spec is never mixed up. */
export const FEATURE_NAMES: readonly string[] = [
  ...TYPES.flatMap((t) => WINDOWS.map((w) => `log_${t}_${w}`)),
  'log_days_since_active',
  'log_spend',
  'log_recent_items',
];

export function propensityFeatures(u: UserFeatures, nowMs: number): Float64Array {
  const x = new Float64Array(FEATURE_NAMES.length);
  let at = 0;
  for (const t of TYPES) for (const w of WINDOWS) x[at++] = Math.log1p(u.counts[t]?.[w] ?? 0);
  x[at++] = Math.log1p(u.lastActive === undefined ? 365 : Math.max(0, nowMs - u.lastActive) / DAY_MS);
  x[at++] = Math.log1p(u.spend);
  x[at++] = Math.log1p(new Set(u.recent.map((r) => r.itemId)).size);
  return x;
}
