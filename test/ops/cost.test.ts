/**
 * The cost model: its arithmetic on a one-hour profile worked out by hand, s.yaml's schedules
 * read per hour, the files' errors, and `npm run cost` on the repository's own files.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { firingsByHour, provisionedByHour, type FunctionSpec } from '../../scripts/cost/functionSpecs';
import {
  loadMeasured,
  loadPrices,
  loadProfile,
  type MeasuredFigures,
  type PriceBook,
  type TrafficProfile,
} from '../../scripts/cost/inputs';
import { costBreakdown } from '../../scripts/cost/model';
import { DEFAULT_MEASURED, DEFAULT_PROFILE, newestPrices, runCost } from '../../scripts/cost/run';

const root = path.resolve(__dirname, '../..');
const hours = (at: Record<number, number>) => Array.from({ length: 24 }, (_, h) => at[h] ?? 0);

/** One day; traffic only from 00:00 to 01:00; recommend keeps one reserved instance until 02:00. */
const profile: TrafficProfile = {
  name: 'tiny',
  daysPerMonth: 1,
  eventsPerSecond: hours({ 0: 100 }),
  eventsPerRequest: 10,
  recommendationsPerSecond: hours({ 0: 1000 }),
  campaigns: [{ name: 'c', runsPerMonth: 2, profilesScanned: 1000, messagesSent: 100, segmentsPerMessage: 1 }],
  training: { runsPerMonth: 1, minutesPerRun: 1 },
  storage: { retentionDays: 10, otherGb: 1 },
  tairInstances: 1,
};

const measured: MeasuredFigures = {
  ingest: { requestsPerSecondPerInstance: 100, secondsPerRequest: 0.01, responseBytes: 1024 },
  recommend: { requestsPerSecondPerInstance: 500, secondsPerRequest: 0.001, responseBytes: 1024, modelCheckSeconds: 10 },
  compact: { secondsPerRun: 1, eventsFlushedPerSecond: 1000, rawBytesPerEvent: 1024 },
  campaign: { decisionsPerSecond: 100, secondsPerTick: 0.5 },
  train: { objectsReadPerRun: 100, objectsWrittenPerRun: 10 },
  metrics: { flushSeconds: 10, ingestSeriesPerFlush: 1, recommendSeriesPerFlush: 1, seriesPerInvocation: 1 },
  ecs: { targetUtilisation: 0.5, minInstances: 1 },
  assumed: [],
};

const price = (p: number, extra: object = {}) => ({ price: p, confirmed: true, ...extra });
const prices: PriceBook = {
  date: '2026-11-30',
  currency: 'USD',
  prices: {
    'fc.cu.tier1': price(0.00002, { upTo: 50_000 }),
    'fc.cu.tier2': price(0.00001, { upTo: 200_000 }),
    'fc.cu.tier3': price(0.000005),
    'oss.storage': price(0.02),
    'oss.put': price(0.1),
    'oss.get': price(0.1),
    'internet.egress': price(0.1),
    'tair.instance': price(100),
    'sms.message': price(0.01),
    'cloudmonitor.datapoints': price(1),
    'ecs.general': price(50, { vcpu: 4 }),
    'ecs.gpu': price(500, { vcpu: 8 }),
  },
  cuFactors: {
    invocationsPer10k: 75,
    activeVcpuSecond: 1,
    idleVcpuSecond: 0,
    memoryGbSecond: 0.15,
    diskGbSecond: 0.05,
    teslaGpuGbSecondActive: 2.1,
    teslaGpuGbSecondIdle: 0.5,
    adaGpuGbSecondActive: 1.5,
    adaGpuGbSecondIdle: 0.25,
    freeDiskGb: 0.5,
  },
};

const fn = (name: string, vcpu: number, memoryGb: number, extra: Partial<FunctionSpec> = {}): FunctionSpec => ({
  name,
  vcpu,
  memoryGb,
  diskGb: 0.5,
  provisionedByHour: hours({}),
  alwaysAllocateCPU: true,
  timerFiringsByHour: hours({}),
  ...extra,
});
const functions = [
  fn('ingest', 1, 1),
  fn('recommend', 2, 4, { provisionedByHour: hours({ 0: 1, 1: 1 }) }),
  fn('compact', 1, 2, { timerFiringsByHour: hours({ 0: 60 }) }),
  fn('campaign', 1, 2, { timerFiringsByHour: hours({ 0: 60 }) }),
  fn('train', 8, 32, { diskGb: 10.5, gpu: { series: 'tesla', memoryGb: 16 } }),
];

describe('the cost model', () => {
  it('adds up a one-hour profile as worked out by hand', () => {
    const b = costBreakdown({ profile, measured, prices, functions });
    const f = Object.fromEntries(b.functions.map((x) => [x.name, x]));

    // ingest: 100 events/s ÷ 10 = 10 req/s; busy = max(10/100, 10 × 0.01) = 0.1 instance for 3600 s.
    expect(f.ingest).toMatchObject({ invocations: 36_000, activeVcpuSeconds: 360, memoryGbSeconds: 360, diskGbSeconds: 0 });
    expect(f.ingest.cu).toBeCloseTo(270 + 360 + 54, 6); // 3.6 × 75 + 360 + 360 × 0.15

    // recommend, 00-01: busy = 1000/500 = 2, one reserved + one on demand; 01-02: the reserved one idle, its vCPU still billed.
    expect(f.recommend).toMatchObject({
      invocations: 3_600_000,
      activeVcpuSeconds: 2 * 2 * 3600 + 2 * 3600,
      memoryGbSeconds: 2 * 4 * 3600 + 4 * 3600,
      provisionedIdleInstanceSeconds: 3600,
    });
    expect(f.recommend.cu).toBeCloseTo(27_000 + 21_600 + 6_480, 6);

    // compact: 60 ticks × 1 s + 360,000 events ÷ 1000/s = 420 s on 1 vCPU, 2 GB.
    expect(f.compact.cu).toBeCloseTo(0.45 + 420 + 840 * 0.15, 6);
    // campaign: 60 ticks × 0.5 s + 2 runs × 1000 profiles ÷ 100/s = 50 s.
    expect(f.campaign.cu).toBeCloseTo(0.45 + 50 + 100 * 0.15, 6);
    // train: 60 s on 8 vCPU, 32 GB, 10 GB of disk above the free 0.5, 16 GB of Tesla GPU.
    expect(f.train).toMatchObject({ activeVcpuSeconds: 480, memoryGbSeconds: 1920, diskGbSeconds: 600, gpuGbSecondsActive: 960 });
    expect(f.train.cu).toBeCloseTo(0.0075 + 480 + 288 + 30 + 2016, 6);

    // 59,189.9075 CU: 50,000 at the first tier, the rest at the second.
    const cu = 684 + 55_080 + 546.45 + 65.45 + 2814.0075;
    const compute = 50_000 * 0.00002 + (cu - 50_000) * 0.00001;
    expect(b.serverless.lines[0]).toMatchObject({
      item: 'Function Compute',
      quantity: expect.closeTo(cu, 6),
      cost: expect.closeTo(compute, 9),
    });
    expect(b.functions.reduce((s, x) => s + x.cost, 0)).toBeCloseTo(compute, 9);

    const line = (item: string) => b.serverless.lines.find((l) => l.item.startsWith(item))!;
    const storedGb = (360_000 * 1024 * 10) / 1024 ** 3 + 1;
    expect(line('OSS standard storage')).toMatchObject({ quantity: expect.closeTo(storedGb, 9), cost: expect.closeTo(storedGb * 0.02, 9) });
    expect(line('OSS PUT')).toMatchObject({ quantity: 60 + 10, cost: expect.closeTo(0.0007, 9) });
    // Live recommend instances: 2 for an hour and 1 for an hour, each reading the registry every 10 s; training reads 100.
    expect(line('OSS GET')).toMatchObject({ quantity: 3 * 360 + 100 });
    expect(line('Internet egress')).toMatchObject({ quantity: expect.closeTo((3_636_000 * 1024) / 1024 ** 3, 9) });
    expect(line('SMS')).toMatchObject({ quantity: 200, cost: expect.closeTo(2, 9) });
    // Datapoints: ingest's one instance flushes every 10 s (360), recommend's two (720), one per event invocation (121).
    expect(line('CloudMonitor')).toMatchObject({ quantity: 360 + 720 + 121, cost: expect.closeTo(0.001201, 9) });
    expect(b.serverless.byCategory.storage).toBeCloseTo(storedGb * 0.02 + 100, 9);

    // ECS: busiest hour 0.1 × 1 + 2 × 2 = 4.1 vCPU at 50% → 8.2, plus compact's and campaign's vCPU = 10.2 → 3 × 4 vCPU; one GPU server.
    expect(b.ecs.peakVcpu).toBeCloseTo(10.2, 9);
    expect(b.ecs).toMatchObject({ generalInstances: 3, gpuInstances: 1 });
    expect(b.ecs.byCategory.compute).toBe(3 * 50 + 500);
    expect(b.ecs.total - b.ecs.byCategory.compute).toBeCloseTo(b.serverless.total - b.serverless.byCategory.compute, 9);
  });

  it('reads reserved instances and timers from s.yaml hour by hour', () => {
    const actions = [
      { name: 'lunch', scheduleExpression: 'cron(0 30 11 * * *)', target: 10, timeZone: 'Asia/Shanghai' },
      { name: 'evening', scheduleExpression: 'cron(0 0 19 * * *)', target: 16, timeZone: 'Asia/Shanghai' },
      { name: 'night', scheduleExpression: 'cron(0 30 23 * * *)', target: 2, timeZone: 'Asia/Shanghai' },
    ];

    const byHour = provisionedByHour(2, actions);

    expect([byHour[0], byHour[11], byHour[12], byHour[19], byHour[23]]).toEqual([2, 6, 10, 16, 9]);
    expect(firingsByHour('0 * * * * *')).toEqual(hours(Object.fromEntries(Array.from({ length: 24 }, (_, h) => [h, 60]))));
    expect(firingsByHour('CRON_TZ=Asia/Shanghai 0 30 3 * * *')).toEqual(hours({ 3: 1 }));
  });
});

describe('the cost files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cost-'));
  const variant = (file: string, change: (text: string) => string) => {
    const out = path.join(dir, path.basename(file));
    writeFileSync(out, change(readFileSync(path.join(root, file), 'utf8')));
    return out;
  };

  it('names a missing price and what it is for', () => {
    const file = variant(path.relative(root, newestPrices()), (t) => t.replace(/^ {2}tair\.instance:.*\n/m, ''));

    expect(() => loadPrices(file)).toThrow(/no price "tair\.instance" \(one Tair \(Redis\) instance, per month\)/);
  });

  it('names a price in another currency with no rate to convert it', () => {
    const file = variant(path.relative(root, newestPrices()), (t) => t.replace(/^ {2}CNY:.*\n/m, ''));

    expect(() => loadPrices(file)).toThrow(/prices\.sms\.message is in CNY: fx\.CNY\.value must convert it to USD/);
  });

  it('names what is malformed in a profile', () => {
    const file = variant(DEFAULT_PROFILE, (t) =>
      t.replace('eventsPerSecond: [40, ', 'eventsPerSecond: [').replace('tairInstances: 1', 'tairInstances: one'),
    );

    expect(() => loadProfile(file)).toThrow(/eventsPerSecond must be 24 numbers ≥ 0 \(one per hour, Asia\/Shanghai\), got 23 value\(s\)/);
    expect(() => loadProfile(file)).toThrow(/tairInstances must be a number ≥ 0, got "one"/);
  });

  it('names a measured figure without its source', () => {
    const file = variant(DEFAULT_MEASURED, (t) => t.replace(/(decisionsPerSecond: \{ value: 11000), source: '[^']*'/, '$1'));

    expect(() => loadMeasured(file)).toThrow(/campaign\.decisionsPerSecond is missing or malformed/);
  });

  it("prints a table and a JSON line for the example profile with the repository's files", async () => {
    let text = '';

    expect(await runCost([], (t) => (text += t))).toBe(0);

    const json = JSON.parse(text.trim().split('\n').at(-1)!);
    expect(json.functions.map((f: { name: string }) => f.name)).toEqual(['ingest', 'compact', 'recommend', 'train', 'campaign']);
    expect(json.serverless.total).toBeGreaterThan(0);
    expect(text).toMatch(/^By category\n {2}category +Function Compute +always-on ECS$/m);
    expect(text).toContain('* unconfirmed prices (check before relying on them): ');
  });
});
