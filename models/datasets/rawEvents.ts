/**
 * Training data from the raw event log: every gzip JSON-lines object under raw/events/
 * (optionally a date window), each event once however often it was stored.
 *
 * The interaction dataset folds interest events (lib/events/behaviour.ts weights) into per-user item
 * histories: a (user, item) pair appears once, at its latest time, so histories come out
 * oldest first; its weight is its strongest event type's, halved for every
 * INTERACTION_HALF_LIFE_DAYS it is older than the log's last event. Anonymous visitors are users.
 */
import { INTEREST_WEIGHT, interestWeight, userKeyOf } from '#lib/events/behaviour';
import { listAll, type ObjectStore } from '#lib/objectStore';
import { decodeRawObject } from '#lib/events/rawLog';
import { RAW_EVENTS_PREFIX } from '#lib/objectStore/keys';
import type { RawEvent } from '#lib/events/contract';

export interface DateWindow {
  from?: string;
  to?: string;
}

export interface EventDataset {
  userIds: string[];
  itemIds: string[];
  /** Per user (index into userIds): item indices, oldest first. */
  byUser: number[][];
  /** Per user: item index → interaction weight in (0, 1]. */
  weights: Map<number, number>[];
  events: number;
  window: DateWindow;
}

export const INTERACTION_HALF_LIFE_DAYS = 30;
const DAY_MS = 24 * 3600_000;
const STRONGEST = Math.max(...Object.values(INTEREST_WEIGHT));

const dateOf = (key: string) => /dt=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];

/** The raw log's events in the window, de-duplicated by (app, event id), in storage order. */
export async function* rawEvents(store: ObjectStore, window: DateWindow = {}): AsyncGenerator<RawEvent> {
  const seen = new Set<string>();
  for await (const object of listAll(store, RAW_EVENTS_PREFIX)) {
    const dt = dateOf(object.key);
    if (!dt || (window.from && dt < window.from) || (window.to && dt > window.to)) continue;
    for (const e of decodeRawObject((await store.get(object.key))!)) {
      const id = `${e.app_id}:${e.event_id}`;
      if (seen.has(id)) continue;
      seen.add(id);
      yield e;
    }
  }
}

export async function datasetFromRawLog(store: ObjectStore, window: DateWindow = {}): Promise<EventDataset> {
  const pairs = new Map<string, Map<string, { at: number; strength: number }>>(); // user → item → pair
  let events = 0;
  let last = 0;
  for await (const e of rawEvents(store, window)) {
    const strength = interestWeight(e.type);
    if (!e.item_id || strength <= 0) continue;
    events++;
    last = Math.max(last, e.event_time);
    const user = userKeyOf(e);
    const items = pairs.get(user) ?? pairs.set(user, new Map()).get(user)!;
    const pair = items.get(e.item_id);
    if (!pair) items.set(e.item_id, { at: e.event_time, strength });
    else {
      pair.at = Math.max(pair.at, e.event_time);
      pair.strength = Math.max(pair.strength, strength);
    }
  }
  const itemIndex = new Map<string, number>();
  const userIds = [...pairs.keys()].sort();
  const byUser: number[][] = [];
  const weights: Map<number, number>[] = [];
  for (const user of userIds) {
    const ordered = [...pairs.get(user)!].sort((a, b) => a[1].at - b[1].at || (a[0] < b[0] ? -1 : 1));
    const indices = ordered.map(([item]) => itemIndex.get(item) ?? itemIndex.set(item, itemIndex.size).get(item)!);
    byUser.push(indices);
    weights.push(
      new Map(
        ordered.map(([, p], k) => [indices[k], (p.strength / STRONGEST) * 2 ** (-(last - p.at) / (INTERACTION_HALF_LIFE_DAYS * DAY_MS))]),
      ),
    );
  }
  return { userIds, itemIds: [...itemIndex.keys()], byUser, weights, events, window };
}
