/**
 * The campaign runs the uplift model learns from. `campaign` records each run as it starts
 * (`recordCampaignRun`, one small object per run); runs reported on (`campaign-reports/runs/`)
 * are found too. Who each run treated and held out is in the contact ledger under the run's key.
 */
import { listAll, type ObjectStore } from '#lib/objectStore';
import { CAMPAIGN_RUNS_PREFIX, RUN_REPORTS_PREFIX } from '#lib/objectStore/keys';
import { campaignRunKey } from '#lib/contacts';

export interface CampaignRun {
  campaign: string;
  /** The minute the run ran as (ISO): its id, and when its attribution window opens. */
  runId: string;
  attributionDays: number;
}

/** The run's key in the contact ledger. */
export const runKeyOf = (r: Pick<CampaignRun, 'campaign' | 'runId'>) => campaignRunKey(r.campaign, r.runId);

/** Records a run (idempotent: a replayed run writes the same object). */
export async function recordCampaignRun(objects: ObjectStore, run: CampaignRun): Promise<void> {
  const body: CampaignRun = { campaign: run.campaign, runId: run.runId, attributionDays: run.attributionDays };
  await objects.put(`${CAMPAIGN_RUNS_PREFIX}${runKeyOf(run)}.json`, Buffer.from(JSON.stringify(body)), { contentType: 'application/json' });
}

async function* jsonObjects<T>(objects: ObjectStore, prefix: string): AsyncGenerator<T> {
  for await (const o of listAll(objects, prefix)) {
    if (!o.key.endsWith('.json')) continue;
    const body = await objects.get(o.key);
    if (body) yield JSON.parse(body.toString('utf8')) as T;
  }
}

/** Every recorded or reported run, each once, oldest first. */
export async function campaignRuns(objects: ObjectStore): Promise<CampaignRun[]> {
  const runs = new Map<string, CampaignRun>();
  for await (const r of jsonObjects<CampaignRun>(objects, CAMPAIGN_RUNS_PREFIX)) runs.set(runKeyOf(r), r);
  for await (const r of jsonObjects<{ campaign: string; startedAt: string; attributionDays: number }>(objects, RUN_REPORTS_PREFIX)) {
    const run = { campaign: r.campaign, runId: r.startedAt, attributionDays: r.attributionDays };
    if (!runs.has(runKeyOf(run))) runs.set(runKeyOf(run), run);
  }
  return [...runs.values()].sort((a, b) => a.runId.localeCompare(b.runId) || a.campaign.localeCompare(b.campaign));
}
