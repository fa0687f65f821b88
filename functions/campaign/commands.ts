/**
 * Marketer commands, as direct invocations of `campaign` with `{"command", "campaign", ...}`
 * (`npm run campaign` sends them to the local runtime; on FC, `s invoke --event`):
 * `plan` (a dry run), `run` (now, or `at` a minute), `report` (written as JSON and HTML to
 * `campaign-reports/runs/<run>.json|.html`).
 */
import { badRequest } from '#lib/errors';
import type { Invocation } from '#lib/fc/decode';
import { planCampaign } from './plan';
import { runReport } from './report/report';
import { reportPage } from './report/page';
import { activeDefinition } from './definitions/store';
import { personalItemsFor, runOne, type CampaignDeps } from './runOne';
import { selectionFor } from './selection';
import { RUN_REPORTS_PREFIX } from '#lib/objectStore/keys';

const MINUTE_MS = 60_000;

export interface Command {
  command: 'plan' | 'run' | 'report';
  campaign: string;
  /** `run`: the minute to run as (default now). */
  at?: string;
  /** `report`: the run's id (the minute it ran as). */
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
    throw badRequest('bad_command', 'report needs "run": the run id that `run` answered');
  return c as Command;
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
  const report = await runReport(deps, d, c.run!, deps.policy.priceMilliYuan);
  const base = `${RUN_REPORTS_PREFIX}${report.run}`;
  await deps.objects.put(`${base}.json`, Buffer.from(JSON.stringify(report, null, 2)), { contentType: 'application/json' });
  await deps.objects.put(`${base}.html`, Buffer.from(reportPage(report)), { contentType: 'text/html; charset=utf-8' });
  return { ...report, files: [`${base}.json`, `${base}.html`] };
}
