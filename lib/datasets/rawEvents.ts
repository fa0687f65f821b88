/**
 * The training dataset from the raw event log: every gzip JSON-lines object under
 * raw/events/ (optionally a date window) folded into per-user item histories. Only events
 * that show interest in an item count (lib/behaviour.ts weights); a (user, item) pair counts
 * once, at its latest time, so histories come out oldest first; anonymous visitors are users.
 */
import { interestWeight } from '../behaviour';
import { listAll, type ObjectStore } from '../objectStore';
import { decodeRawObject, RAW_EVENTS_PREFIX } from '../rawLog';

export interface EventDataset {
  userIds: string[];
  itemIds: string[];
  /** Per user (index into userIds): item indices, oldest first. */
  byUser: number[][];
  events: number;
  window: { from?: string; to?: string };
}

const dateOf = (key: string) => /dt=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];

export async function datasetFromRawLog(store: ObjectStore, window: { from?: string; to?: string } = {}): Promise<EventDataset> {
  const latest = new Map<string, Map<string, number>>(); // user → item → latest event time
  const seenEvents = new Set<string>();
  let events = 0;
  for await (const object of listAll(store, RAW_EVENTS_PREFIX)) {
    const dt = dateOf(object.key);
    if (!dt || (window.from && dt < window.from) || (window.to && dt > window.to)) continue;
    for (const e of decodeRawObject((await store.get(object.key))!)) {
      const id = `${e.app_id}:${e.event_id}`;
      if (seenEvents.has(id) || !e.item_id || interestWeight(e.type) <= 0) continue;
      seenEvents.add(id);
      events++;
      const user = e.user_id ?? `anon:${e.anonymous_id}`;
      const items = latest.get(user) ?? latest.set(user, new Map()).get(user)!;
      items.set(e.item_id, Math.max(items.get(e.item_id) ?? 0, e.event_time));
    }
  }
  const itemIndex = new Map<string, number>();
  const userIds = [...latest.keys()].sort();
  const byUser = userIds.map((u) =>
    [...latest.get(u)!]
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
      .map(([item]) => itemIndex.get(item) ?? itemIndex.set(item, itemIndex.size).get(item)!),
  );
  return { userIds, itemIds: [...itemIndex.keys()], byUser, events, window };
}
