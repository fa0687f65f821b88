/** Whether a person is in a campaign's audience: every rule holds over their features, tags and attributes. */
import type { UserFeatures } from '#lib/featureStore';
import type { StoredProfile } from '#lib/profiles/port';
import type { AudienceRule, Operator } from './definitions/definition';

const DAY_MS = 86_400_000;

/** A feature path's value (FEATURE_PATHS): counts of an event type in a window, days since last active, spend. */
function featureValue(f: UserFeatures, path: string, nowMs: number): number {
  if (path === 'spend') return f.spend;
  if (path === 'last_active_days') return f.lastActive === undefined ? Number.POSITIVE_INFINITY : (nowMs - f.lastActive) / DAY_MS;
  const [, type, window] = path.split('.');
  return f.counts[type]?.[window as 'd1' | 'd7' | 'd30'] ?? 0;
}

function compare(actual: unknown, op: Operator, expected: unknown): boolean {
  switch (op) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case 'in':
      return (expected as unknown[]).includes(actual);
    default: {
      if (typeof actual !== 'number' || typeof expected !== 'number') return false;
      return op === '<' ? actual < expected : op === '<=' ? actual <= expected : op === '>' ? actual > expected : actual >= expected;
    }
  }
}

export const needsFeatures = (rules: AudienceRule[]) => rules.some((r) => r.kind === 'feature');

export function inAudience(rules: AudienceRule[], p: StoredProfile, features: UserFeatures | undefined, nowMs: number): boolean {
  return rules.every((r) => {
    if (r.kind === 'tag') return p.tags.includes(r.tag) === r.has;
    if (r.kind === 'attribute') return compare(p.attributes[r.attribute], r.op, r.value);
    return features !== undefined && compare(featureValue(features, r.feature, nowMs), r.op, r.value);
  });
}
