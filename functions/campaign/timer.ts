/**
 * The minute timer: every campaign due at that minute (its cron in Asia/Shanghai, or its one-off
 * time) is started (runOne.ts), runs quiet hours deferred are resumed once they end, and at the
 * top of each hour undelivered messages are retried where a campaign allows it.
 */
import { parseCron } from '#lib/cron';
import { badRequest } from '#lib/errors';
import type { Invocation } from '#lib/fc/decode';
import { listAll } from '#lib/objectStore';
import { getJson } from '#lib/objectStore/json';
import { ACTIVE_DEFINITIONS_PREFIX, DEFERRED_RUNS_PREFIX } from '#lib/objectStore/keys';
import { chunkOf, submitChunks } from './chunks';
import { CAMPAIGN_TIME_ZONE, type CampaignDefinition } from './definitions/definition';
import { activeDefinitions } from './definitions/store';
import { retryDue, retryUndelivered, runsToRetry } from './retryUndelivered';
import { runOne, type CampaignDeps, type Deferred } from './runOne';
import { stalledParts, type StalledPart } from './stalled';

const MINUTE_MS = 60_000;

function dueAt(d: CampaignDefinition, minuteMs: number): boolean {
  if (d.schedule.kind === 'at') return d.schedule.epochMs > minuteMs - MINUTE_MS && d.schedule.epochMs <= minuteMs;
  return parseCron(`CRON_TZ=${CAMPAIGN_TIME_ZONE} ${d.schedule.cron}`).matches(minuteMs);
}

/** A run or chunk that quiet hours held back, once they are over: a deferred chunk goes back to a chunk worker. */
async function resume(deps: CampaignDeps, d: CampaignDefinition, deferred: Deferred) {
  if (!deferred.chunk) return runOne(deps, d, deferred.runId);
  const { index, of } = deferred.chunk;
  if (!deps.fanout) return runOne(deps, d, deferred.runId, chunkOf(index, of));
  return submitChunks(deps.fanout, d.id, deferred.runId, [index], of, deps.logger, `r${deferred.resumeAt}`);
}

/** A run or chunk whose worker died, from its saved progress; one past its deadline is stopped instead. */
async function resumeStalled(deps: CampaignDeps, d: CampaignDefinition, part: StalledPart, minute: number) {
  if (part.late) {
    await deps.ledger.saveProgress(part.key, { ...part.progress, done: true, stopped: 'deadline' });
    deps.metrics?.count('CampaignRunsStopped', 1, { function: 'campaign' });
    deps.logger.warn('campaign run stopped unfinished: past its deadline', { campaign: d.id, runId: part.runId, chunk: part.chunk?.index });
    return { run: part.key, stopped: 'deadline' };
  }
  deps.logger.warn('campaign run resumed: it stopped unfinished and no worker holds it', {
    campaign: d.id,
    runId: part.runId,
    chunk: part.chunk?.index,
  });
  if (!part.chunk) return runOne(deps, d, part.runId);
  const { index, of } = part.chunk;
  if (!deps.fanout) return runOne(deps, d, part.runId, chunkOf(index, of));
  return submitChunks(deps.fanout, d.id, part.runId, [index], of, deps.logger, `s${minute}`);
}

/** The minute timer: every campaign due now, every deferred run whose quiet hours are over, every run whose worker died. */
export async function runDue(deps: CampaignDeps, tickMs: number) {
  const minute = Math.floor(tickMs / MINUTE_MS) * MINUTE_MS;
  const runs: Promise<unknown>[] = [];
  const active = await activeDefinitions(deps.objects);
  for (const d of active) if (dueAt(d, minute)) runs.push(runOne(deps, d, new Date(minute).toISOString()));
  const retrying = retryDue(minute) ? active : [];
  const recent = retrying.length > 0 ? await deps.ledger.runsSince(tickMs - 86_400_000) : [];
  for (const d of retrying) for (const run of runsToRetry(d, recent, tickMs)) runs.push(retryUndelivered(deps, d, run));
  for await (const o of listAll(deps.objects, DEFERRED_RUNS_PREFIX)) {
    const deferred = await getJson<Deferred>(deps.objects, o.key);
    const active =
      deferred && deferred.resumeAt <= tickMs
        ? await getJson<{ definition: CampaignDefinition }>(deps.objects, `${ACTIVE_DEFINITIONS_PREFIX}${deferred.campaign}.json`)
        : undefined;
    if (active) runs.push(resume(deps, active.definition, deferred!));
  }
  for (const part of await stalledParts(deps, tickMs)) {
    const d = active.find((a) => a.id === part.campaign);
    if (d) runs.push(resumeStalled(deps, d, part, minute));
  }
  return Promise.all(runs);
}

/** The tick a timer (or a direct invocation `{"at": ISO}`) stands for. */
export function tickOf(invocation: Invocation): number {
  if (invocation.kind === 'timer') return Date.parse(invocation.tick.triggerTime);
  const at = invocation.kind === 'direct' ? (invocation.payload as { at?: unknown } | null)?.at : undefined;
  if (typeof at === 'string' && !Number.isNaN(Date.parse(at))) return Date.parse(at);
  throw badRequest('bad_event', `campaign runs on its minute timer or {"at": ISO time}, not ${invocation.kind} events`);
}
