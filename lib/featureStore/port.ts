/** The feature store port: real-time user and item features (Redis / Tair in production). */
import type { RevocationStore } from '#lib/auth/revocations';
import type { Behaviour } from '#lib/events/behaviour';

export interface RecentItem {
  itemId: string;
  type: string;
  ts: number;
}

export interface WindowCounts {
  d1: number;
  d7: number;
  d30: number;
}

export interface UserFeatures {
  /** Newest first, at most RECENT_LIMIT. */
  recent: RecentItem[];
  counts: Record<string, WindowCounts>;
  lastActive?: number;
  spend: number;
}

/** What serving needs of a user, read in one round trip. */
export interface UserHistory {
  /** Newest first, at most RECENT_LIMIT. */
  recent: RecentItem[];
  /** Every item the user bought (within the user TTL), however long ago. */
  purchased: string[];
}

export interface ScoredItem {
  itemId: string;
  score: number;
}

/** The feature store also holds per-app token revocations: the shared, fast state ingest and recommend both read. */
export interface FeatureStore extends RevocationStore {
  /** e.g. `redis:127.0.0.1:6379` or `memory` */
  readonly describe: string;
  /** Applies a batch of behaviour to user and item features. */
  record(events: Behaviour[]): Promise<void>;
  user(userId: string, nowMs: number): Promise<UserFeatures>;
  history(userId: string): Promise<UserHistory>;
  /** Time-decayed popularity of each item (0 for unknown items). */
  popularity(itemIds: string[], nowMs: number): Promise<number[]>;
  /** Items with the most interest in the last hours, best first. */
  trending(limit: number, nowMs: number): Promise<ScoredItem[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
