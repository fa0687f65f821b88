/**
 * Campaigns on the clock. An upload under `campaigns/` is validated (the report, errors with
 * field and line, goes to `campaign-reports/validation/<file>.json`) and, when valid, becomes
 * the campaign's active definition. The minute timer then starts every campaign due at that
 * minute (its cron in Asia/Shanghai, or its one-off time), resumes runs quiet hours deferred, and
 * at the top of each hour retries undelivered messages where a campaign allows it.
 * A run's id is the minute it was due, so a replayed or doubled tick is the same run. A run
 * with more profiles than a chunk holds is fanned out over chunk workers (chunks.ts).
 */
import { parseCron } from '#lib/cron';
import { recordCampaignRun } from '#models/datasets/campaignRuns';
import { AppError, badRequest, unprocessable } from '#lib/errors';
import type { Invocation } from '#lib/fc/decode';
import type { Logger } from '#lib/log';
import type { MetricsRecorder } from '#lib/metrics';
import { listAll, type ObjectStore } from '#lib/objectStore';
import type { SmsSender } from '#lib/sms/port';
import type { ContactLedger } from '#lib/contacts';
import { chunkOf, chunksOfRun, submitChunks, type Chunk, type Fanout } from './chunks';
import { CAMPAIGN_TIME_ZONE, parseDefinition, type CampaignDefinition } from './definition';
import { PersonalItems } from './personalItems';
import { runCampaign, runKeyOf, type RunDeps, type RunResult } from './runCampaign';
import { retryDue, retryUndelivered, runsToRetry } from './retryUndelivered';
import { recordRun } from './runMetrics';
import { selectionFor, type SelectionDeps } from './selection';
import { ACTIVE_DEFINITIONS_PREFIX, CAMPAIGN_DEFINITIONS_PREFIX, DEFERRED_RUNS_PREFIX, DEFINITION_REPORTS_PREFIX } from '#lib/objectStore/keys';

const MINUTE_MS = 60_000;

/** A campaign function's dependencies: runs, their reports and the retries of undelivered messages use all three ledger roles. */
export type ScheduleDeps = Omit<RunDeps, 'ledger'> & SelectionDeps & { ledger: ContactLedger; objects: ObjectStore; logger: Logger; fanout?: Fanout; metrics?: MetricsRecorder };

interface Deferred {
  campaign: string;
  runId: string;
  resumeAt: number;
  chunk?: { index: number; of: number };
}

export type Dispatched = { run: string; status: 'fanned_out'; chunks: number; accepted: number; duplicate: number };

const json = (value: unknown) => Buffer.from(JSON.stringify(value, null, 2));
const read = async <T>(objects: ObjectStore, key: string) => {
  const body = await objects.get(key);
  return body && (JSON.parse(body.toString('utf8')) as T);
};

export const isDefinitionUpload = (key: string) => key.startsWith(CAMPAIGN_DEFINITIONS_PREFIX) && /\.(ya?ml|json)$/i.test(key);

/** Validates an uploaded definition; a valid one replaces its campaign's active definition. */
export async function registerDefinition(deps: ScheduleDeps, key: string) {
  const body = await deps.objects.get(key);
  if (!body) return { file: key, ok: false, errors: [{ field: '(file)', message: 'the upload is gone' }] };
  const { definition, errors } = parseDefinition(body.toString('utf8'), key);
  const report = { file: key, ok: definition !== undefined, errors, checkedAt: new Date(deps.clock()).toISOString() };
  await deps.objects.put(`${DEFINITION_REPORTS_PREFIX}${key.slice(CAMPAIGN_DEFINITIONS_PREFIX.length)}.json`, json(report), { contentType: 'application/json' });
  if (definition) await deps.objects.put(`${ACTIVE_DEFINITIONS_PREFIX}${definition.id}.json`, json({ definition, source: key }), { contentType: 'application/json' });
  deps.logger.info(definition ? 'campaign scheduled' : 'campaign definition refused', { file: key, campaign: definition?.id, errors: errors.length });
  return report;
}

/** Every campaign scheduled now, as its last valid upload defined it. */
export async function activeDefinitions(objects: ObjectStore): Promise<CampaignDefinition[]> {
  const definitions: CampaignDefinition[] = [];
  for await (const o of listAll(objects, ACTIVE_DEFINITIONS_PREFIX)) {
    const active = await read<{ definition: CampaignDefinition }>(objects, o.key);
    if (active) definitions.push(active.definition);
  }
  return definitions;
}

/** The items model, loaded only for a campaign whose variants name an item. */
export const personalItemsFor = (deps: Pick<SelectionDeps, 'objects' | 'features'>, d: CampaignDefinition) =>
  d.variants.some((v) => v.itemStrategy === 'top_recommendation') ? PersonalItems.load(deps.objects, deps.features, d.id) : Promise.resolve(undefined);

/** A campaign's active definition, or a 404 naming it. */
export async function activeDefinition(objects: ObjectStore, id: string): Promise<CampaignDefinition> {
  const active = await read<{ definition: CampaignDefinition }>(objects, `${ACTIVE_DEFINITIONS_PREFIX}${id}.json`);
  if (!active) throw new AppError(404, 'no_such_campaign', `no campaign ${id} is scheduled: upload its definition under ${CAMPAIGN_DEFINITIONS_PREFIX}`);
  return active.definition;
}

function dueAt(d: CampaignDefinition, minuteMs: number): boolean {
  if (d.schedule.kind === 'at') return d.schedule.epochMs > minuteMs - MINUTE_MS && d.schedule.epochMs <= minuteMs;
  return parseCron(`CRON_TZ=${CAMPAIGN_TIME_ZONE} ${d.schedule.cron}`).matches(minuteMs);
}

/** A definition written for another provider names a template and sign that provider never approved. */
function refuseOtherProvider(sms: SmsSender, d: CampaignDefinition): void {
  if (sms.provider === 'outbox' || sms.provider === d.channel.provider) return;
  throw unprocessable('wrong_provider', `campaign ${d.id} is written for ${d.channel.provider} SMS, but this deployment sends through ${sms.provider} (MKT_SMS_PROVIDER)`);
}

/**
 * One run, or one chunk of it; a large run, with chunk workers to take it, is fanned out. A
 * campaign that cannot run (no model yet, its list gone) is logged and skipped, not retried.
 */
export async function runOne(deps: ScheduleDeps, d: CampaignDefinition, runId: string, chunk?: Chunk): Promise<RunResult | Dispatched | { run: string; skipped: string }> {
  const run = runKeyOf(d, runId);
  const deferredKey = `${DEFERRED_RUNS_PREFIX}${run}${chunk ? `#${chunk.index}` : ''}.json`;
  try {
    refuseOtherProvider(deps.sms, d);
    const select = await selectionFor(deps, d, run);
    if (!chunk) await recordCampaignRun(deps.objects, { campaign: d.id, runId, attributionDays: d.attributionDays });
    const chunks = !chunk && deps.fanout ? await chunksOfRun(deps, run, deps.fanout.chunkSize, deps.policy.qps) : 1;
    if (chunks > 1) {
      const counts = await submitChunks(deps.fanout!, d.id, runId, [...Array(chunks).keys()], chunks, deps.logger);
      return { run, status: 'fanned_out', chunks, ...counts };
    }
    const result = await runCampaign({ ...deps, items: await personalItemsFor(deps, d) }, d, runId, select, chunk);
    if (deps.metrics) recordRun(deps.metrics, d.id, result, deps.policy.priceMilliYuan, d.budget, await deps.ledger.spent(run));
    if (result.status === 'paused' && chunk && deps.fanout) await submitChunks(deps.fanout, d.id, runId, [chunk.index], chunk.of, deps.logger, `p${result.cursor}`);
    const deferred: Deferred = { campaign: d.id, runId, resumeAt: result.resumeAt!, ...(chunk ? { chunk: { index: chunk.index, of: chunk.of } } : {}) };
    if (result.status === 'deferred') await deps.objects.put(deferredKey, json(deferred));
    else await deps.objects.delete(deferredKey);
    return result;
  } catch (err) {
    if (!(err instanceof AppError) || err.retryable) throw err;
    deps.logger.warn('campaign run skipped: a retry cannot fix it', { campaign: d.id, runId, chunk: chunk?.index, code: err.code, reason: err.message });
    return { run, skipped: err.message };
  }
}

/** A run or chunk that quiet hours held back, once they are over: a deferred chunk goes back to a chunk worker. */
async function resume(deps: ScheduleDeps, d: CampaignDefinition, deferred: Deferred) {
  if (!deferred.chunk) return runOne(deps, d, deferred.runId);
  const { index, of } = deferred.chunk;
  if (!deps.fanout) return runOne(deps, d, deferred.runId, chunkOf(index, of));
  return submitChunks(deps.fanout, d.id, deferred.runId, [index], of, deps.logger, `r${deferred.resumeAt}`);
}

/** The minute timer: every campaign due now, and every deferred run whose quiet hours are over. */
export async function runDue(deps: ScheduleDeps, tickMs: number) {
  const minute = Math.floor(tickMs / MINUTE_MS) * MINUTE_MS;
  const runs: Promise<unknown>[] = [];
  const active = await activeDefinitions(deps.objects);
  for (const d of active) if (dueAt(d, minute)) runs.push(runOne(deps, d, new Date(minute).toISOString()));
  const retrying = retryDue(minute) ? active.filter((d) => d.retryUndelivered) : [];
  const recent = retrying.length > 0 ? await deps.ledger.runsSince(tickMs - 86_400_000) : [];
  for (const d of retrying) for (const run of runsToRetry(d, recent, tickMs)) runs.push(retryUndelivered(deps, d, run));
  for await (const o of listAll(deps.objects, DEFERRED_RUNS_PREFIX)) {
    const deferred = await read<Deferred>(deps.objects, o.key);
    const active = deferred && deferred.resumeAt <= tickMs ? await read<{ definition: CampaignDefinition }>(deps.objects, `${ACTIVE_DEFINITIONS_PREFIX}${deferred.campaign}.json`) : undefined;
    if (active) runs.push(resume(deps, active.definition, deferred!));
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
