/**
 * The uplift dataset: what finished campaign runs did. Each person a run sent to (treated) or
 * held out as control is one example, labelled by whether they bought within the run's
 * attribution window (as the run's report counts it), with the feature store's view of them
 * at the run's start: fed the raw log's events before the start only, so nothing that happened
 * during or after the run leaks into the features. A run is finished once the raw log holds
 * events past the end of its attribution window.
 */
import { behaviourOf, type Behaviour } from '#lib/events/behaviour';
import type { RunLedger } from '#lib/contacts';
import type { UserFeatures } from '#lib/featureStore';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import type { ObjectStore } from '#lib/objectStore';
import { runKeyOf, type CampaignRun } from './campaignRuns';
import { rawEvents, type DateWindow } from './rawEvents';

export interface CampaignExample {
  /** The run's key in the contact ledger. */
  run: string;
  userId: string;
  treated: 0 | 1;
  converted: 0 | 1;
  /** The run's start (epoch ms): the features are as of then. */
  at: number;
}

export interface CampaignOutcomes {
  examples: CampaignExample[];
  /** Per example, the feature store's view of the person at the run's start. */
  users: UserFeatures[];
  /** The finished runs the examples come from, oldest first. */
  runs: string[];
  /** Runs found but not finished yet (their attribution window is still open in the log). */
  open: number;
}

/** Whom each run treated and held out, and where that is kept. */
export type RunPeople = Pick<RunLedger, 'people'> & { readonly describe: string };

const DAY_MS = 86_400_000;
const CHUNK = 10_000;

export async function campaignOutcomes(
  objects: ObjectStore,
  ledger: RunPeople,
  runs: CampaignRun[],
  window: DateWindow = {},
): Promise<CampaignOutcomes> {
  if (runs.length === 0) return { examples: [], users: [], runs: [], open: 0 };
  const behaviour: Behaviour[] = [];
  for await (const e of rawEvents(objects, window)) behaviour.push(behaviourOf(e, e.event_time));
  behaviour.sort((a, b) => a.ts - b.ts);
  const last = behaviour.at(-1)?.ts ?? 0;
  const startOf = (r: CampaignRun) => Date.parse(r.runId);
  const endOf = (r: CampaignRun) => startOf(r) + r.attributionDays * DAY_MS;
  const finished = runs.filter((r) => endOf(r) <= last).sort((a, b) => startOf(a) - startOf(b));
  const purchases = behaviour.filter((b) => b.type === 'purchase');

  // One store fed in time order: at each run's start it has seen exactly the events before it.
  let now = 0;
  const store = new MemoryFeatureStore(() => now);
  let fed = 0;
  const out: CampaignOutcomes = { examples: [], users: [], runs: finished.map(runKeyOf), open: runs.length - finished.length };
  for (const r of finished) {
    now = startOf(r);
    let upTo = fed;
    while (upTo < behaviour.length && behaviour[upTo].ts < now) upTo++;
    for (let i = fed; i < upTo; i += CHUNK) await store.record(behaviour.slice(i, Math.min(i + CHUNK, upTo)));
    fed = upTo;

    const bought = new Set(purchases.filter((b) => b.ts >= now && b.ts <= endOf(r)).map((b) => b.userId));
    const run = runKeyOf(r);
    const people = [...(await ledger.people(run))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)); // reproducible splits
    for (const [userId, state] of people) {
      if (state.status !== 'sent' && state.status !== 'control') continue;
      out.examples.push({ run, userId, treated: state.status === 'sent' ? 1 : 0, converted: bought.has(userId) ? 1 : 0, at: now });
      out.users.push(await store.user(userId, now));
    }
  }
  return out;
}
