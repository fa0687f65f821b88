/**
 * Marketer commands, as direct invocations of `campaign` with `{"command", "campaign", ...}`
 * (`npm run campaign` sends them to the local runtime; on FC, `s invoke --event`):
 * `plan` (a dry run), `run` (now, or `at` a minute), `report` (written as JSON and HTML to
 * `campaign-reports/runs/<run>.json|.html`).
 */
import { AppError, badRequest } from '#lib/errors';
import type { Invocation } from '#lib/fc/decode';
import { planCampaign } from './plan';
import { runReport } from './report/report';
import { reportPage } from './report/page';
import { activeDefinition } from './definitions/store';
import { personalItemsFor, runOne, type CampaignDeps } from './runOne';
import { selectionFor } from './selection';
import type { ObjectStore } from '#lib/objectStore';
import { RUN_REPORTS_PREFIX } from '#lib/objectStore/keys';
import { campaignRuns } from '#models/datasets/campaignRuns';

const MINUTE_MS = 60_000;

export interface Command {
  command: 'plan' | 'run' | 'report';
  campaign: string;
  /** `run`: the minute to run as (default now). */
  at?: string;
  /** `report`: the run, as the minute it ran as in any ISO form, or `latest`. */
  run?: string;
}

/** The command a direct invocation carries, if it carries one. */
export function commandOf(invocation: Invocation): Command | undefined {
  if (invocation.kind !== 'direct' || typeof invocation.payload !== 'object' || invocation.payload === null) return undefined;
  const c = invocation.payload as Partial<Command>;
  if (c.command === undefined) return undefined;
  if (!['plan', 'run', 'report'].includes(c.command) || typeof c.campaign !== 'string')
    throw badRequest('bad_command', 'expected {"command": "plan" | "run" | "report", "campaign": "<id>", ...}');
  if (c.command === 'report' && typeof c.run !== 'string')
    throw badRequest('bad_command', 'report needs "run": the minute the run ran as (any ISO form), or "latest"');
  return c as Command;
}

/** The run a report names: `latest`, or the minute it ran as in any ISO form; a run the campaign never started is a 404. */
export async function runIdOf(objects: ObjectStore, campaign: string, named: string): Promise<string> {
  const runs = (await campaignRuns(objects)).filter((r) => r.campaign === campaign).map((r) => r.runId);
  if (named === 'latest') {
    const latest = runs.at(-1);
    if (!latest) throw new AppError(404, 'no_such_run', `campaign ${campaign} has not run yet`);
    return latest;
  }
  const ms = Date.parse(named);
  if (Number.isNaN(ms)) throw badRequest('bad_command', `"run" must be an ISO time or "latest", got ${named}`);
  const runId = new Date(ms).toISOString();
  if (!runs.includes(runId)) {
    const recent = runs.slice(-5).join(', ') || 'none yet';
    throw new AppError(404, 'no_such_run', `campaign ${campaign} has no run at ${runId} (its latest: ${recent})`);
  }
  return runId;
}

export async function runCommand(deps: CampaignDeps, c: Command): Promise<unknown> {
  const d = await activeDefinition(deps.objects, c.campaign);
  if (c.command === 'plan')
    return planCampaign({ ...deps, items: await personalItemsFor(deps, d) }, d, await selectionFor(deps, d), deps.policy.priceMilliYuan);
  if (c.command === 'run') {
    const at = c.at === undefined ? deps.clock() : Date.parse(c.at);
    if (Number.isNaN(at)) throw badRequest('bad_command', `"at" must be an ISO time, got ${c.at}`);
    return runOne(deps, d, new Date(Math.floor(at / MINUTE_MS) * MINUTE_MS).toISOString());
  }
  const report = await runReport(deps, d, await runIdOf(deps.objects, d.id, c.run!), deps.policy.priceMilliYuan);
  const base = `${RUN_REPORTS_PREFIX}${report.run}`;
  await deps.objects.put(`${base}.json`, Buffer.from(JSON.stringify(report, null, 2)), { contentType: 'application/json' });
  await deps.objects.put(`${base}.html`, Buffer.from(reportPage(report)), { contentType: 'text/html; charset=utf-8' });
  return { ...report, files: [`${base}.json`, `${base}.html`] };
}
