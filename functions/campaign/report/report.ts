/**
 * A run's report: audience, control, sent, failed by provider code, suppressed by reason, cost,
 * and, as purchases arrive through ingest within the attribution window, conversion of treated
 * vs control per variant with the absolute lift and its 95% confidence interval (the normal
 * approximation to a difference of two proportions). Control people are split by the variant
 * they would have had (stable per person), so each variant has its own comparison.
 */
import { shanghaiDateHour } from '#lib/clock';
import { campaignRunKey, chunkProgressKey, type DeliveryLedger, type RunLedger } from '#lib/contacts';
import type { ProfileBook } from '#lib/profiles';
import type { ObjectStore } from '#lib/objectStore';
import { increment } from '#lib/tally';
import { rawEvents } from '#models/datasets/rawEvents';
import type { CampaignDefinition } from '../definitions/definition';
import { deliveryFigures, type DeliveryFigures } from './deliveryFigures';
import { variantOf } from '../policy';
import { costYuan } from '../smsText';

export interface VariantResult {
  variant: string;
  treated: number;
  treatedConverted: number;
  control: number;
  controlConverted: number;
  /** Treated conversion minus control conversion; undefined while either group is empty. */
  lift?: number;
  /** Undefined too while every person in each group did the same (no conversions yet, say): no spread to build it on. */
  lift95?: [number, number];
}

export interface RunReport {
  campaign: string;
  run: string;
  startedAt: string;
  /** Whether every page of the run (of each chunk, where it fanned out) has been decided; figures of an unfinished run still grow. */
  finished: boolean;
  /** Why it finished without deciding everyone (`deadline`), where it did. */
  stopped?: string;
  attributionDays: number;
  audience: number;
  control: number;
  sent: number;
  uncertain: number;
  /** Refused for flow control on every try the run made (the provider's code is in their state). */
  deferred: number;
  failed: Record<string, number>;
  suppressed: Record<string, number>;
  segments: number;
  costYuan: number;
  /** What the carriers and the people said since (sms-feedback). */
  delivery: DeliveryFigures;
  variants: VariantResult[];
}

const DAY_MS = 86_400_000;

/** A run is finished when its progress, or that of every chunk it was split into, is done; stopped where one was stopped. */
async function finished(ledger: RunLedger, run: string): Promise<{ finished: boolean; stopped?: string }> {
  const progress = await ledger.progress(run);
  const parts =
    progress.chunks === undefined
      ? [progress]
      : await Promise.all(Array.from({ length: progress.chunks }, (_, i) => ledger.progress(chunkProgressKey(run, i))));
  const stopped = parts.find((p) => p.stopped)?.stopped;
  return { finished: parts.every((p) => p.done), ...(stopped ? { stopped } : {}) };
}

/** Users who bought within `days` of `fromMs`, from the raw log. */
async function buyers(objects: ObjectStore, fromMs: number, days: number): Promise<Set<string>> {
  const toMs = fromMs + days * DAY_MS;
  const window = { from: shanghaiDateHour(fromMs).date, to: shanghaiDateHour(toMs).date };
  const found = new Set<string>();
  for await (const e of rawEvents(objects, window))
    if (e.type === 'purchase' && e.user_id && e.event_time >= fromMs && e.event_time <= toMs) found.add(e.user_id);
  return found;
}

export function liftOf(tn: number, tc: number, cn: number, cc: number): Pick<VariantResult, 'lift' | 'lift95'> {
  if (tn === 0 || cn === 0) return {};
  const [pt, pc] = [tc / tn, cc / cn];
  const se = Math.sqrt((pt * (1 - pt)) / tn + (pc * (1 - pc)) / cn);
  const lift = pt - pc;
  // Everyone in each group did the same (no conversions at all, say): no spread to build an interval on.
  if (se === 0) return { lift };
  return { lift, lift95: [lift - 1.96 * se, lift + 1.96 * se] };
}

export async function runReport(
  deps: { ledger: RunLedger & DeliveryLedger; objects: ObjectStore; profiles: ProfileBook },
  d: CampaignDefinition,
  runId: string,
  priceMilliYuan: number,
): Promise<RunReport> {
  const run = campaignRunKey(d.id, runId);
  const startedMs = Date.parse(runId);
  const [converted, done] = await Promise.all([buyers(deps.objects, startedMs, d.attributionDays), finished(deps.ledger, run)]);
  const report: Omit<RunReport, 'delivery'> = {
    campaign: d.id,
    run,
    startedAt: runId,
    ...done,
    attributionDays: d.attributionDays,
    audience: 0,
    control: 0,
    sent: 0,
    uncertain: 0,
    deferred: 0,
    failed: {},
    suppressed: {},
    segments: 0,
    costYuan: 0,
    variants: [],
  };
  const sent: [string, number][] = [];
  const byVariant = new Map(
    d.variants.map((v) => [v.id, { variant: v.id, treated: 0, treatedConverted: 0, control: 0, controlConverted: 0 }]),
  );
  for (const [userId, state] of await deps.ledger.people(run)) {
    report.audience++;
    const bought = converted.has(userId) ? 1 : 0;
    if (state.status === 'control') {
      report.control++;
      const v = byVariant.get(variantOf(d, userId).id)!;
      v.control++;
      v.controlConverted += bought;
    } else if (state.status === 'sent') {
      report.sent++;
      report.segments += state.segments;
      sent.push([userId, state.segments]);
      const v = byVariant.get(state.variant)!;
      v.treated++;
      v.treatedConverted += bought;
    } else if (state.status === 'failed' && state.failure === 'defer') report.deferred++;
    else if (state.status === 'failed') increment(report.failed, state.code);
    else if (state.status === 'suppressed') increment(report.suppressed, state.reason);
    else report.uncertain++;
  }
  report.costYuan = costYuan(report.segments, priceMilliYuan / 1000);
  report.variants = [...byVariant.values()].map((v) => ({ ...v, ...liftOf(v.treated, v.treatedConverted, v.control, v.controlConverted) }));
  return { ...report, delivery: await deliveryFigures(deps, run, startedMs, sent, priceMilliYuan) };
}
