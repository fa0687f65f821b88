/**
 * The propensity dataset from the raw event log: who bought in the `horizonDays` after a
 * cutoff, given what they did before it. The cutoff is the log's last event minus the
 * horizon; the users are those active in the 30 days before it. Their features are what a
 * feature store fed the events up to the cutoff (as ingest feeds Redis) answers at the cutoff.
 */
import { behaviourOf } from '#lib/events/behaviour';
import type { Behaviour } from '#lib/events/behaviour';
import type { UserFeatures } from '#lib/featureStore';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import type { ObjectStore } from '#lib/objectStore';
import { rawEvents, type DateWindow } from './rawEvents';

export interface ConversionSet {
  userIds: string[];
  /** Per user, the feature store's view of them at the cutoff. */
  users: UserFeatures[];
  /** 1 where the user bought within the horizon after the cutoff. */
  labels: Uint8Array;
  cutoff: number;
  horizonDays: number;
}

const DAY_MS = 24 * 3600_000;
const ACTIVE_DAYS = 30;
const CHUNK = 10_000;

export async function conversionsFromRawLog(store: ObjectStore, horizonDays: number, window: DateWindow = {}): Promise<ConversionSet> {
  const behaviour: Behaviour[] = [];
  for await (const e of rawEvents(store, window)) behaviour.push(behaviourOf(e, e.event_time));
  const last = behaviour.reduce((m, b) => Math.max(m, b.ts), 0);
  const cutoff = last - horizonDays * DAY_MS;

  const before = new MemoryFeatureStore(() => cutoff);
  const active = new Set<string>();
  const bought = new Set<string>();
  const past = behaviour.filter((b) => b.ts <= cutoff).sort((a, b) => a.ts - b.ts);
  for (let i = 0; i < past.length; i += CHUNK) await before.record(past.slice(i, i + CHUNK));
  for (const b of past) if (b.ts > cutoff - ACTIVE_DAYS * DAY_MS) active.add(b.userId);
  for (const b of behaviour) if (b.ts > cutoff && b.type === 'purchase') bought.add(b.userId);

  const userIds = [...active].sort();
  const users = await Promise.all(userIds.map((u) => before.user(u, cutoff)));
  return { userIds, users, labels: Uint8Array.from(userIds, (u) => (bought.has(u) ? 1 : 0)), cutoff, horizonDays };
}
