/**
 * Runs that stopped without finishing: a worker killed, timed out, or given up on by FC after its
 * retries. Each minute the timer looks at the runs started in the last day (their records under
 * `campaign-state/runs/`): a run, or a chunk of a fanned-out one, that is not done, not waiting
 * for quiet hours to end, and that no worker holds (its lease ran out) is resumed from its saved
 * progress; claims keep it exactly-once. One still unfinished a day after it started is stopped:
 * done, with `stopped: deadline` in its progress and its report, a log line and a metric.
 */
import { campaignRunKey, chunkProgressKey, type RunLedger, type RunProgress } from '#lib/contacts';
import { listAll, type ObjectStore } from '#lib/objectStore';
import { CAMPAIGN_RUNS_PREFIX } from '#lib/objectStore/keys';

/** How long a run may take, from the minute it was due, before it is stopped. */
const RUN_DEADLINE_MS = 86_400_000;
/** A run this young is left to the workers just started for it. */
const GRACE_MS = 2 * 60_000;

export interface StalledPart {
  campaign: string;
  runId: string;
  /** Set for a chunk of a fanned-out run. */
  chunk?: { index: number; of: number };
  /** Past the deadline: to be stopped rather than resumed. */
  late: boolean;
  key: string;
  progress: RunProgress;
}

/** Every recorded run, read from the record's key alone (`<campaign>@<run id>.json`): this runs every minute. */
async function recordedRuns(objects: ObjectStore): Promise<{ campaign: string; runId: string }[]> {
  const runs: { campaign: string; runId: string }[] = [];
  for await (const o of listAll(objects, CAMPAIGN_RUNS_PREFIX)) {
    const name = o.key.slice(CAMPAIGN_RUNS_PREFIX.length).replace(/\.json$/, '');
    const at = name.indexOf('@');
    if (at > 0) runs.push({ campaign: name.slice(0, at), runId: name.slice(at + 1) });
  }
  return runs;
}

const stalled = (p: RunProgress, tickMs: number) => !p.done && !(p.deferredUntil !== undefined && p.deferredUntil > tickMs);

/** The parts of recent runs that stopped without finishing and that nobody drives now. */
export async function stalledParts(deps: { objects: ObjectStore; ledger: RunLedger }, tickMs: number): Promise<StalledPart[]> {
  const recent = (await recordedRuns(deps.objects)).filter((r) => {
    const age = tickMs - Date.parse(r.runId);
    return age >= GRACE_MS && age <= RUN_DEADLINE_MS + GRACE_MS;
  });
  const parts: StalledPart[] = [];
  for (const r of recent) {
    const run = campaignRunKey(r.campaign, r.runId);
    const progress = await deps.ledger.progress(run);
    const late = tickMs - Date.parse(r.runId) > RUN_DEADLINE_MS;
    const of = progress.chunks;
    const candidates =
      of === undefined
        ? [{ key: run, progress }]
        : await Promise.all(
            Array.from({ length: of }, async (_, index) => ({
              key: chunkProgressKey(run, index),
              progress: await deps.ledger.progress(chunkProgressKey(run, index)),
              chunk: { index, of },
            })),
          );
    for (const c of candidates)
      if (stalled(c.progress, tickMs) && !(await deps.ledger.leased(c.key)))
        parts.push({ campaign: r.campaign, runId: r.runId, late, ...c });
  }
  return parts;
}
