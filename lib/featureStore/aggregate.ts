/**
 * The feature arithmetic both feature-store adapters share, so they agree exactly:
 * a batch of behaviour is folded into per-user and per-item deltas before any write.
 */
import { interestWeight, type Behaviour } from '#lib/events/behaviour';
import { SHANGHAI_OFFSET_MS } from '#lib/clock';
import type { RecentItem } from './port';

export const RECENT_LIMIT = 50;
export const USER_TTL_S = 31 * 24 * 3600;
export const COUNT_WINDOWS_DAYS = { d1: 1, d7: 7, d30: 30 } as const;
export const POPULARITY_HALF_LIFE_MS = 3 * 24 * 3600_000;
export const TREND_HALF_LIFE_H = 2;
export const TREND_WINDOW_H = 6;
/** Forward decay: scores are stored relative to this instant and grow over time. */
const DECAY_EPOCH_MS = Date.UTC(2026, 0, 1);
const HOUR_MS = 3600_000;

/** Day number in Asia/Shanghai, the bucket of windowed counts. */
export const dayBucket = (ms: number) => Math.floor((ms + SHANGHAI_OFFSET_MS) / (24 * HOUR_MS));
export const hourBucket = (ms: number) => Math.floor(ms / HOUR_MS);

/** Stored popularity increment: weight × 2^((ts − epoch) / half-life). */
export const forwardDecayed = (weight: number, ts: number) => weight * 2 ** ((ts - DECAY_EPOCH_MS) / POPULARITY_HALF_LIFE_MS);
/** Popularity as of `nowMs` from a stored forward-decayed score. */
export const decayedAt = (stored: number, nowMs: number) => stored * 2 ** (-(nowMs - DECAY_EPOCH_MS) / POPULARITY_HALF_LIFE_MS);
/** Weight of an hourly trend bucket seen from `nowMs`. */
export const trendWeight = (bucket: number, nowMs: number) => 2 ** (-(hourBucket(nowMs) - bucket) / TREND_HALF_LIFE_H);

export interface UserDelta {
  /** Newest first. */
  recent: RecentItem[];
  /** `${dayBucket}` → type → count */
  counts: Map<number, Map<string, number>>;
  lastActive: number;
  spend: number;
  purchased: Set<string>;
}

export interface BatchDelta {
  users: Map<string, UserDelta>;
  /** itemId → forward-decayed popularity increment */
  popularity: Map<string, number>;
  /** hour bucket → itemId → interest weight */
  trend: Map<number, Map<string, number>>;
}

const bump = <K>(m: Map<K, number>, k: K, by: number) => m.set(k, (m.get(k) ?? 0) + by);

export function aggregate(events: Behaviour[]): BatchDelta {
  const users = new Map<string, UserDelta>();
  const popularity = new Map<string, number>();
  const trend = new Map<number, Map<string, number>>();
  for (const e of events) {
    let u = users.get(e.userId);
    if (!u) users.set(e.userId, (u = { recent: [], counts: new Map(), lastActive: 0, spend: 0, purchased: new Set() }));
    const day = dayBucket(e.ts);
    let dayCounts = u.counts.get(day);
    if (!dayCounts) u.counts.set(day, (dayCounts = new Map()));
    bump(dayCounts, e.type, 1);
    u.lastActive = Math.max(u.lastActive, e.ts);
    if (e.amount) u.spend += e.amount;
    if (e.type === 'purchase' && e.itemId) u.purchased.add(e.itemId);
    const weight = interestWeight(e.type);
    if (e.itemId && weight > 0) {
      u.recent.push({ itemId: e.itemId, type: e.type, ts: e.ts });
      bump(popularity, e.itemId, forwardDecayed(weight, e.ts));
      const hour = hourBucket(e.ts);
      let bucket = trend.get(hour);
      if (!bucket) trend.set(hour, (bucket = new Map()));
      bump(bucket, e.itemId, weight);
    }
  }
  for (const u of users.values()) u.recent = u.recent.sort((a, b) => b.ts - a.ts).slice(0, RECENT_LIMIT);
  return { users, popularity, trend };
}

/** Sums per-day counts into the 1/7/30-day windows ending today. */
export function windowCounts(perDay: Map<number, Map<string, number>>, nowMs: number) {
  const today = dayBucket(nowMs);
  const counts: Record<string, { d1: number; d7: number; d30: number }> = {};
  for (const [day, types] of perDay) {
    const age = today - day;
    if (age < 0 || age >= COUNT_WINDOWS_DAYS.d30) continue;
    for (const [type, n] of types) {
      const c = (counts[type] ??= { d1: 0, d7: 0, d30: 0 });
      c.d30 += n;
      if (age < COUNT_WINDOWS_DAYS.d7) c.d7 += n;
      if (age < COUNT_WINDOWS_DAYS.d1) c.d1 += n;
    }
  }
  return counts;
}

export const encodeRecent = (r: RecentItem) => `${r.ts}|${r.type}|${r.itemId}`;
export function decodeRecent(s: string): RecentItem {
  const a = s.indexOf('|');
  const b = s.indexOf('|', a + 1);
  return { ts: Number(s.slice(0, a)), type: s.slice(a + 1, b), itemId: s.slice(b + 1) };
}
