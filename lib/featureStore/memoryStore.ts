/**
 * The embedded feature store: the same features as Redis, held in this process, with
 * the same expiry rules. The default when REDIS_URL is unset; state ends with the process.
 */
import {
  aggregate,
  COUNT_WINDOWS_DAYS,
  dayBucket,
  decayedAt,
  hourBucket,
  RECENT_LIMIT,
  TREND_WINDOW_H,
  trendWeight,
  windowCounts,
} from './aggregate';
import type { Behaviour } from '#lib/events/behaviour';
import type { FeatureStore, RecentItem, ScoredItem, UserFeatures, UserHistory } from './port';

interface UserState {
  recent: RecentItem[];
  counts: Map<number, Map<string, number>>;
  lastActive: number;
  spend: number;
  purchased: Set<string>;
}

export class MemoryFeatureStore implements FeatureStore {
  readonly describe = 'memory';
  private readonly users = new Map<string, UserState>();
  private readonly popularityScores = new Map<string, number>();
  private readonly trend = new Map<number, Map<string, number>>();
  private readonly revoked = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  async record(events: Behaviour[]): Promise<void> {
    const delta = aggregate(events);
    const oldestDay = dayBucket(this.clock()) - COUNT_WINDOWS_DAYS.d30;
    for (const [userId, d] of delta.users) {
      let u = this.users.get(userId);
      if (!u) this.users.set(userId, (u = { recent: [], counts: new Map(), lastActive: 0, spend: 0, purchased: new Set() }));
      u.recent = [...d.recent, ...u.recent].slice(0, RECENT_LIMIT);
      for (const [day, types] of d.counts) {
        const into = u.counts.get(day) ?? new Map<string, number>();
        for (const [type, n] of types) into.set(type, (into.get(type) ?? 0) + n);
        u.counts.set(day, into);
      }
      for (const day of u.counts.keys()) if (day < oldestDay) u.counts.delete(day);
      u.lastActive = Math.max(u.lastActive, d.lastActive);
      u.spend += d.spend;
      for (const itemId of d.purchased) u.purchased.add(itemId);
    }
    for (const [itemId, inc] of delta.popularity) this.popularityScores.set(itemId, (this.popularityScores.get(itemId) ?? 0) + inc);
    const oldestHour = hourBucket(this.clock()) - TREND_WINDOW_H;
    for (const [hour, items] of delta.trend) {
      if (hour <= oldestHour) continue;
      const into = this.trend.get(hour) ?? new Map<string, number>();
      for (const [itemId, w] of items) into.set(itemId, (into.get(itemId) ?? 0) + w);
      this.trend.set(hour, into);
    }
    for (const hour of this.trend.keys()) if (hour <= oldestHour) this.trend.delete(hour);
  }

  async user(userId: string, nowMs: number): Promise<UserFeatures> {
    const u = this.users.get(userId);
    if (!u) return { recent: [], counts: {}, spend: 0 };
    return {
      recent: [...u.recent].sort((a, b) => b.ts - a.ts),
      counts: windowCounts(u.counts, nowMs),
      lastActive: u.lastActive || undefined,
      spend: u.spend,
    };
  }

  async history(userId: string): Promise<UserHistory> {
    const u = this.users.get(userId);
    return { recent: u ? [...u.recent].sort((a, b) => b.ts - a.ts) : [], purchased: u ? [...u.purchased] : [] };
  }

  async popularity(itemIds: string[], nowMs: number): Promise<number[]> {
    return itemIds.map((id) => decayedAt(this.popularityScores.get(id) ?? 0, nowMs));
  }

  async trending(limit: number, nowMs: number): Promise<ScoredItem[]> {
    const now = hourBucket(nowMs);
    const scores = new Map<string, number>();
    for (const [hour, items] of this.trend) {
      if (hour > now || hour <= now - TREND_WINDOW_H) continue;
      const w = trendWeight(hour, nowMs);
      for (const [itemId, s] of items) scores.set(itemId, (scores.get(itemId) ?? 0) + s * w);
    }
    return [...scores]
      .map(([itemId, score]) => ({ itemId, score }))
      .sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1))
      .slice(0, limit);
  }

  async tokenRevocations(): Promise<Record<string, number>> {
    return Object.fromEntries(this.revoked);
  }

  async revokeTokens(appId: string, issuedBeforeMs: number): Promise<void> {
    this.revoked.set(appId, issuedBeforeMs);
  }

  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}
