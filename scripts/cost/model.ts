/**
 * The monthly bill of a traffic profile, on Function Compute and, for comparison, on always-on
 * ECS instances sized for the peak. Pure arithmetic on the inputs (no I/O), so a dashboard can
 * call `costBreakdown` with the same files.
 *
 * Function Compute bills CU (FC 3.0 "Pay-as-you-go"): usage × CU factor, priced by monthly tier.
 * - Web functions (ingest, recommend: many requests per instance): each hour, the instances busy
 *   on average are requests/s ÷ one instance's measured throughput, or, at low traffic, requests/s
 *   × seconds per request (capped at one instance). Reserved instances (s.yaml provisionConfig)
 *   absorb that first and are billed every second they exist (vCPU too, with alwaysAllocateCPU);
 *   the rest runs on demand. Their idle time is reported on its own.
 * - Event functions (compact, campaign, train: one request per instance) are billed for the
 *   seconds they run: timer ticks, events flushed, profiles decided, GPU training minutes.
 */
import type { FunctionSpec } from './functionSpecs';
import { HOURS, type MeasuredFigures, type PriceBook, type PriceName, type TrafficProfile } from './inputs';

export const CATEGORIES = ['compute', 'storage', 'network', 'api/sms'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface FunctionUsage {
  invocations: number;
  activeVcpuSeconds: number;
  idleVcpuSeconds: number;
  memoryGbSeconds: number;
  diskGbSeconds: number;
  gpuGbSecondsActive: number;
  gpuGbSecondsIdle: number;
  /** Seconds reserved instances existed with nothing to do. */
  provisionedIdleInstanceSeconds: number;
}

export interface FunctionCost extends FunctionUsage {
  name: string;
  cu: number;
  /** Its share of the month's CU bill. */
  cost: number;
}

export interface Line {
  item: string;
  category: Category;
  quantity: number;
  unit: string;
  cost: number;
  price: PriceName | 'fc.cu';
}

export interface Bill {
  lines: Line[];
  byCategory: Record<Category, number>;
  total: number;
}

export interface CostBreakdown {
  profile: string;
  days: number;
  currency: string;
  pricesDate: string;
  functions: FunctionCost[];
  serverless: Bill;
  ecs: Bill & { generalInstances: number; gpuInstances: number; peakVcpu: number };
  /** Prices and figures the result rests on that were not confirmed or not measured. */
  unconfirmedPrices: PriceName[];
  assumedFigures: string[];
}

export interface CostInputs {
  profile: TrafficProfile;
  measured: MeasuredFigures;
  prices: PriceBook & { unconfirmed?: PriceName[] };
  functions: FunctionSpec[];
}

const HOUR_S = 3600;
const GIB = 1024 ** 3;
const zero = (): FunctionUsage => ({
  invocations: 0,
  activeVcpuSeconds: 0,
  idleVcpuSeconds: 0,
  memoryGbSeconds: 0,
  diskGbSeconds: 0,
  gpuGbSecondsActive: 0,
  gpuGbSecondsIdle: 0,
  provisionedIdleInstanceSeconds: 0,
});

/** Instances busy on average at `rps`: throughput-bound at high traffic, one request's duration at low. */
export const busyInstances = (rps: number, perInstance: number, secondsPerRequest: number) =>
  rps > 0 ? Math.max(rps / perInstance, Math.min(1, rps * secondsPerRequest)) : 0;

function webUsage(
  spec: FunctionSpec,
  rps: number[],
  perInstance: number,
  secondsPerRequest: number,
  days: number,
  freeDiskGb: number,
): FunctionUsage {
  const u = zero();
  const disk = Math.max(0, spec.diskGb - freeDiskGb);
  for (let h = 0; h < HOURS; h++) {
    const busy = busyInstances(rps[h], perInstance, secondsPerRequest);
    const reserved = spec.provisionedByHour[h];
    const onDemand = Math.max(0, busy - reserved);
    const reservedIdle = reserved - Math.min(busy, reserved);
    const seconds = HOUR_S * days;
    const alive = onDemand + reserved;
    u.invocations += rps[h] * seconds;
    u.activeVcpuSeconds += (alive - (spec.alwaysAllocateCPU ? 0 : reservedIdle)) * spec.vcpu * seconds;
    u.idleVcpuSeconds += (spec.alwaysAllocateCPU ? 0 : reservedIdle) * spec.vcpu * seconds;
    u.memoryGbSeconds += alive * spec.memoryGb * seconds;
    u.diskGbSeconds += alive * disk * seconds;
    u.gpuGbSecondsActive += (alive - reservedIdle) * (spec.gpu?.memoryGb ?? 0) * seconds;
    u.gpuGbSecondsIdle += reservedIdle * (spec.gpu?.memoryGb ?? 0) * seconds;
    u.provisionedIdleInstanceSeconds += reservedIdle * seconds;
  }
  return u;
}

function eventUsage(spec: FunctionSpec, invocations: number, activeSeconds: number, freeDiskGb: number): FunctionUsage {
  return {
    ...zero(),
    invocations,
    activeVcpuSeconds: spec.vcpu * activeSeconds,
    memoryGbSeconds: spec.memoryGb * activeSeconds,
    diskGbSeconds: Math.max(0, spec.diskGb - freeDiskGb) * activeSeconds,
    gpuGbSecondsActive: (spec.gpu?.memoryGb ?? 0) * activeSeconds,
  };
}

function cuOf(u: FunctionUsage, spec: FunctionSpec, f: PriceBook['cuFactors']): number {
  const gpu =
    spec.gpu?.series === 'ada' ? [f.adaGpuGbSecondActive, f.adaGpuGbSecondIdle] : [f.teslaGpuGbSecondActive, f.teslaGpuGbSecondIdle];
  return (
    (u.invocations / 10_000) * f.invocationsPer10k +
    u.activeVcpuSeconds * f.activeVcpuSecond +
    u.idleVcpuSeconds * f.idleVcpuSecond +
    u.memoryGbSeconds * f.memoryGbSecond +
    u.diskGbSeconds * f.diskGbSecond +
    u.gpuGbSecondsActive * gpu[0] +
    u.gpuGbSecondsIdle * gpu[1]
  );
}

/** The month's CU priced by tier: each tier's price up to its `upTo`, the last beyond. */
export function tieredCuCost(cu: number, prices: PriceBook['prices']): number {
  const tiers = [prices['fc.cu.tier1'], prices['fc.cu.tier2'], prices['fc.cu.tier3']];
  let cost = 0;
  let below = 0;
  for (const tier of tiers) {
    const top = tier.upTo ?? Infinity;
    cost += Math.max(0, Math.min(cu, top) - below) * tier.price;
    below = top;
  }
  return cost;
}

const bill = (lines: Line[]): Bill => {
  const byCategory = Object.fromEntries(
    CATEGORIES.map((c) => [c, lines.filter((l) => l.category === c).reduce((s, l) => s + l.cost, 0)]),
  ) as Record<Category, number>;
  return { lines, byCategory, total: lines.reduce((s, l) => s + l.cost, 0) };
};

export function costBreakdown({ profile, measured: m, prices: book, functions }: CostInputs): CostBreakdown {
  const spec = (name: string) => {
    const found = functions.find((f) => f.name === name);
    if (!found) throw new Error(`s.yaml has no function "${name}"; the cost model needs ingest, compact, recommend, train and campaign`);
    return found;
  };
  const price = (name: PriceName) => book.prices[name].price;
  const days = profile.daysPerMonth;
  const free = book.cuFactors.freeDiskGb;
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

  // Function Compute usage, function by function.
  const ingestRps = profile.eventsPerSecond.map((e) => e / profile.eventsPerRequest);
  const ingest = webUsage(spec('ingest'), ingestRps, m.ingest.requestsPerSecondPerInstance, m.ingest.secondsPerRequest, days, free);
  const recommend = webUsage(
    spec('recommend'),
    profile.recommendationsPerSecond,
    m.recommend.requestsPerSecondPerInstance,
    m.recommend.secondsPerRequest,
    days,
    free,
  );
  const compactTicks = spec('compact').timerFiringsByHour;
  const compactSeconds =
    sum(
      compactTicks.map((n, h) => n * m.compact.secondsPerRun + (profile.eventsPerSecond[h] * HOUR_S) / m.compact.eventsFlushedPerSecond),
    ) * days;
  const compact = eventUsage(spec('compact'), sum(compactTicks) * days, compactSeconds, free);
  const campaignTicks = sum(spec('campaign').timerFiringsByHour) * days;
  const decided = sum(profile.campaigns.map((c) => c.runsPerMonth * c.profilesScanned));
  const campaign = eventUsage(
    spec('campaign'),
    campaignTicks,
    campaignTicks * m.campaign.secondsPerTick + decided / m.campaign.decisionsPerSecond,
    free,
  );
  const train = eventUsage(
    spec('train'),
    profile.training.runsPerMonth,
    profile.training.runsPerMonth * profile.training.minutesPerRun * 60,
    free,
  );

  const usage: [string, FunctionUsage][] = [
    ['ingest', ingest],
    ['compact', compact],
    ['recommend', recommend],
    ['train', train],
    ['campaign', campaign],
  ];
  const withCu = usage.map(([name, u]) => ({ name, ...u, cu: cuOf(u, spec(name), book.cuFactors) }));
  const totalCu = sum(withCu.map((f) => f.cu));
  const fcCost = tieredCuCost(totalCu, book.prices);
  const fns: FunctionCost[] = withCu.map((f) => ({ ...f, cost: totalCu > 0 ? (fcCost * f.cu) / totalCu : 0 }));

  // What serverless and ECS share: storage, Tair, egress, requests, SMS, metrics.
  const eventsPerDay = sum(profile.eventsPerSecond) * HOUR_S;
  const storedGb = (eventsPerDay * m.compact.rawBytesPerEvent * profile.storage.retentionDays) / GIB + profile.storage.otherGb;
  const compactWrites = sum(compactTicks.map((n, h) => (profile.eventsPerSecond[h] > 0 ? n : 0))) * days;
  const puts = compactWrites + profile.training.runsPerMonth * m.train.objectsWrittenPerRun;
  const recommendSpec = spec('recommend');
  const alive = (f: FunctionSpec, rps: number[], perInstance: number, secondsPerRequest: number) =>
    rps.map((r, h) => f.provisionedByHour[h] + Math.max(0, busyInstances(r, perInstance, secondsPerRequest) - f.provisionedByHour[h]));
  const ingestAlive = alive(spec('ingest'), ingestRps, m.ingest.requestsPerSecondPerInstance, m.ingest.secondsPerRequest);
  const recommendAlive = alive(
    recommendSpec,
    profile.recommendationsPerSecond,
    m.recommend.requestsPerSecondPerInstance,
    m.recommend.secondsPerRequest,
  );
  const gets =
    sum(recommendAlive) * days * (HOUR_S / m.recommend.modelCheckSeconds) + profile.training.runsPerMonth * m.train.objectsReadPerRun;
  const egressGb = (ingest.invocations * m.ingest.responseBytes + recommend.invocations * m.recommend.responseBytes) / GIB;
  const messages = sum(profile.campaigns.map((c) => c.runsPerMonth * c.messagesSent * c.segmentsPerMessage));
  // Each instance with traffic reports its series at most once per flush interval (lib/metrics/recorder.ts).
  const reported = (rps: number[], instances: number[], series: number) =>
    sum(rps.map((r, h) => (r > 0 ? Math.min(r, Math.max(1, instances[h]) / m.metrics.flushSeconds) * series : 0))) * HOUR_S * days;
  const datapoints =
    reported(ingestRps, ingestAlive, m.metrics.ingestSeriesPerFlush) +
    reported(profile.recommendationsPerSecond, recommendAlive, m.metrics.recommendSeriesPerFlush) +
    (compact.invocations + campaign.invocations + train.invocations) * m.metrics.seriesPerInvocation;

  const line = (item: string, category: Category, quantity: number, unit: string, priceName: PriceName, per = 1): Line => ({
    item,
    category,
    quantity,
    unit,
    cost: (quantity / per) * price(priceName),
    price: priceName,
  });
  const shared: Line[] = [
    line('OSS standard storage', 'storage', storedGb, 'GB-month', 'oss.storage'),
    line('Tair (Redis) instances', 'storage', profile.tairInstances, 'instance-month', 'tair.instance'),
    line('Internet egress (answers to apps)', 'network', egressGb, 'GB', 'internet.egress'),
    line('OSS PUT requests', 'api/sms', puts, 'requests', 'oss.put', 10_000),
    line('OSS GET requests', 'api/sms', gets, 'requests', 'oss.get', 10_000),
    line('SMS', 'api/sms', messages, 'segments', 'sms.message'),
    line('CloudMonitor custom metric datapoints', 'api/sms', datapoints, 'datapoints', 'cloudmonitor.datapoints', 1_000_000),
  ];
  const serverless = bill([
    { item: 'Function Compute', category: 'compute', quantity: totalCu, unit: 'CU', cost: fcCost, price: 'fc.cu' },
    ...shared,
  ]);

  // Always-on ECS sized for the peak: the web functions' busiest hour at the target utilisation, plus a worker vCPU
  // each for compact and campaign.
  const webVcpu = (h: number) =>
    busyInstances(ingestRps[h], m.ingest.requestsPerSecondPerInstance, m.ingest.secondsPerRequest) * spec('ingest').vcpu +
    busyInstances(profile.recommendationsPerSecond[h], m.recommend.requestsPerSecondPerInstance, m.recommend.secondsPerRequest) *
      recommendSpec.vcpu;
  const peakVcpu =
    Math.max(...Array.from({ length: HOURS }, (_, h) => webVcpu(h))) / m.ecs.targetUtilisation +
    spec('compact').vcpu +
    spec('campaign').vcpu;
  const general = book.prices['ecs.general'];
  const generalInstances = Math.max(m.ecs.minInstances, Math.ceil(peakVcpu / general.vcpu!));
  const gpuInstances = profile.training.runsPerMonth > 0 ? 1 : 0;
  const ecs = bill([
    line(`ECS ${general.type ?? 'instances'} (${general.vcpu} vCPU)`, 'compute', generalInstances, 'instance-month', 'ecs.general'),
    line(`ECS GPU ${book.prices['ecs.gpu'].type ?? 'instance'}`, 'compute', gpuInstances, 'instance-month', 'ecs.gpu'),
    ...shared,
  ]);

  const used = new Set<PriceName>(
    [...serverless.lines, ...ecs.lines].flatMap((l) =>
      l.price === 'fc.cu' ? (['fc.cu.tier1', 'fc.cu.tier2', 'fc.cu.tier3'] as const) : [l.price],
    ),
  );
  return {
    profile: profile.name,
    days,
    currency: book.currency,
    pricesDate: book.date,
    functions: fns,
    serverless,
    ecs: { ...ecs, generalInstances, gpuInstances, peakVcpu },
    unconfirmedPrices: (Object.keys(book.prices) as PriceName[]).filter((n) => used.has(n) && !book.prices[n].confirmed),
    assumedFigures: m.assumed,
  };
}
