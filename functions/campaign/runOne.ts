/**
 * One run of a campaign, or one chunk of it, from start to its outcome: the provider checked,
 * the selection built, the run recorded, a large run fanned out over chunk workers
 * (chunks.ts), the run itself (runCampaign.ts), its metrics, and a deferral by quiet hours kept
 * for the timer to resume (timer.ts). A run's id is the minute it was due, so a replayed or
 * doubled tick is the same run.
 */
import { campaignRunKey, chunkProgressKey, type ContactLedger } from '#lib/contacts';
import { AppError, unprocessable } from '#lib/errors';
import type { Logger } from '#lib/log';
import type { MetricsRecorder } from '#lib/metrics';
import type { ObjectStore } from '#lib/objectStore';
import { putJson } from '#lib/objectStore/json';
import { DEFERRED_RUNS_PREFIX } from '#lib/objectStore/keys';
import type { SmsSender } from '#lib/sms/port';
import { recordCampaignRun } from '#models/datasets/campaignRuns';
import { chunksOfRun, submitChunks, type Chunk, type Fanout } from './chunks';
import type { CampaignDefinition } from './definitions/definition';
import { PersonalItems } from './personalItems';
import { runCampaign, type RunDeps, type RunResult } from './runCampaign';
import { recordRun } from './runMetrics';
import { selectionFor, type SelectionDeps } from './selection';

/** A campaign function's dependencies: runs, their reports and the retries of undelivered messages use all three ledger roles. */
export type CampaignDeps = Omit<RunDeps, 'ledger'> &
  SelectionDeps & { ledger: ContactLedger; objects: ObjectStore; logger: Logger; fanout?: Fanout; metrics?: MetricsRecorder };

/** A run or chunk that quiet hours held back, kept until they end. */
export interface Deferred {
  campaign: string;
  runId: string;
  resumeAt: number;
  chunk?: { index: number; of: number };
}

export type Dispatched = { run: string; status: 'fanned_out'; chunks: number; accepted: number; duplicate: number };

/** The items model, loaded only for a campaign whose variants name an item. */
export const personalItemsFor = (deps: Pick<SelectionDeps, 'objects' | 'features'>, d: CampaignDefinition) =>
  d.variants.some((v) => v.itemStrategy === 'top_recommendation')
    ? PersonalItems.load(deps.objects, deps.features, d.id)
    : Promise.resolve(undefined);

/** A definition written for another provider names a template and sign that provider never approved. */
function refuseOtherProvider(sms: SmsSender, d: CampaignDefinition): void {
  if (sms.provider === 'outbox' || sms.provider === d.channel.provider) return;
  throw unprocessable(
    'wrong_provider',
    `campaign ${d.id} is written for ${d.channel.provider} SMS, but this deployment sends through ${sms.provider} (MKT_SMS_PROVIDER)`,
  );
}

/**
 * One run, or one chunk of it; a large run, with chunk workers to take it, is fanned out. A
 * campaign that cannot run (no model yet, its list gone) is logged and skipped, not retried.
 */
export async function runOne(
  deps: CampaignDeps,
  d: CampaignDefinition,
  runId: string,
  chunk?: Chunk,
): Promise<RunResult | Dispatched | { run: string; skipped: string }> {
  const run = campaignRunKey(d.id, runId);
  const deferredKey = `${DEFERRED_RUNS_PREFIX}${chunk ? chunkProgressKey(run, chunk.index) : run}.json`;
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
    if (result.status === 'busy') return result; // the worker holding it records what it decides
    if (deps.metrics) recordRun(deps.metrics, d.id, result, deps.policy.priceMilliYuan, d.budget, await deps.ledger.spent(run));
    if (result.status === 'paused' && chunk && deps.fanout)
      await submitChunks(deps.fanout, d.id, runId, [chunk.index], chunk.of, deps.logger, `p${result.cursor}`);
    const deferred: Deferred = {
      campaign: d.id,
      runId,
      resumeAt: result.resumeAt!,
      ...(chunk ? { chunk: { index: chunk.index, of: chunk.of } } : {}),
    };
    if (result.status === 'deferred') await putJson(deps.objects, deferredKey, deferred);
    else await deps.objects.delete(deferredKey);
    return result;
  } catch (err) {
    if (!(err instanceof AppError) || err.retryable) throw err;
    deps.logger.warn('campaign run skipped: a retry cannot fix it', {
      campaign: d.id,
      runId,
      chunk: chunk?.index,
      code: err.code,
      reason: err.message,
    });
    return { run, skipped: err.message };
  }
}
