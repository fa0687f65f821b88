/**
 * The cost model's three files, read and checked: a traffic profile (what the platform is asked
 * to do), the measured figures (what one request or run costs it, each with its source), and a
 * dated price list (each price with its source and whether it was confirmed). A missing or
 * malformed value stops the command with the file and the name of the value.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export const HOURS = 24;

export interface CampaignLoad {
  name: string;
  runsPerMonth: number;
  /** Profiles a run reads (a run scans every profile and decides each one). */
  profilesScanned: number;
  messagesSent: number;
  segmentsPerMessage: number;
}

export interface TrafficProfile {
  name: string;
  daysPerMonth: number;
  /** Behaviour events received per second, each hour of the day (Asia/Shanghai). */
  eventsPerSecond: number[];
  /** Events per ingest request (the apps' batch size). */
  eventsPerRequest: number;
  /** Recommendation requests per second, each hour of the day (Asia/Shanghai). */
  recommendationsPerSecond: number[];
  campaigns: CampaignLoad[];
  training: { runsPerMonth: number; minutesPerRun: number };
  storage: { retentionDays: number; otherGb: number };
  tairInstances: number;
}

/** The figures the model reads, by section; each is `{ value, source, assumed? }` in the file. */
export const FIGURES = {
  ingest: ['requestsPerSecondPerInstance', 'secondsPerRequest', 'responseBytes'],
  recommend: ['requestsPerSecondPerInstance', 'secondsPerRequest', 'responseBytes', 'modelCheckSeconds'],
  compact: ['secondsPerRun', 'eventsFlushedPerSecond', 'rawBytesPerEvent'],
  campaign: ['decisionsPerSecond', 'secondsPerTick'],
  train: ['objectsReadPerRun', 'objectsWrittenPerRun'],
  metrics: ['flushSeconds', 'ingestSeriesPerFlush', 'recommendSeriesPerFlush', 'seriesPerInvocation'],
  ecs: ['targetUtilisation', 'minInstances'],
} as const;
type Section = keyof typeof FIGURES;
export type MeasuredFigures = { [S in Section]: Record<(typeof FIGURES)[S][number], number> } & { assumed: string[] };

/** Every price the model reads, and what it is for (the error names both). */
export const PRICES = {
  'fc.cu.tier1': 'Function Compute CU, first tier of the month',
  'fc.cu.tier2': 'Function Compute CU, second tier',
  'fc.cu.tier3': 'Function Compute CU, above the second tier',
  'oss.storage': 'OSS standard storage, per GB-month',
  'oss.put': 'OSS PUT requests, per 10,000',
  'oss.get': 'OSS GET requests, per 10,000',
  'internet.egress': 'internet egress (CDT), per GB',
  'tair.instance': 'one Tair (Redis) instance, per month',
  'sms.message': 'one SMS segment in mainland China',
  'cloudmonitor.datapoints': 'custom metric datapoints (raw), per million',
  'ecs.general': 'one always-on ECS instance for the functions, per month',
  'ecs.gpu': 'one always-on GPU ECS instance for training, per month',
} as const;
export type PriceName = keyof typeof PRICES;

export const CU_FACTORS = [
  'invocationsPer10k',
  'activeVcpuSecond',
  'idleVcpuSecond',
  'memoryGbSecond',
  'diskGbSecond',
  'teslaGpuGbSecondActive',
  'teslaGpuGbSecondIdle',
  'adaGpuGbSecondActive',
  'adaGpuGbSecondIdle',
  'freeDiskGb',
] as const;

export interface Price {
  /** In the report's currency. */
  price: number;
  confirmed: boolean;
  /** CU tiers: the month's CU up to which this tier applies. */
  upTo?: number;
  /** ECS instances: their vCPUs. */
  vcpu?: number;
  type?: string;
}

export interface PriceBook {
  date: string;
  currency: string;
  prices: Record<PriceName, Price>;
  cuFactors: Record<(typeof CU_FACTORS)[number], number>;
}

type Fields = Record<string, unknown>;
const isMap = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function readYaml(file: string): Fields {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  if (!isMap(doc)) throw new Error(`${file}: must be a YAML mapping`);
  return doc;
}

const refuse = (file: string, problems: string[]) => {
  if (problems.length) throw new Error(`${file}: ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
};

export function loadProfile(file: string): TrafficProfile {
  const doc = readYaml(file);
  const problems: string[] = [];
  const number = (path: string, v: unknown, what = 'a number ≥ 0') =>
    isCount(v) ? v : (problems.push(`${path} must be ${what}, got ${JSON.stringify(v)}`), 0);
  const hourly = (name: string) => {
    const v = doc[name];
    if (Array.isArray(v) && v.length === HOURS && v.every(isCount)) return v as number[];
    problems.push(
      `${name} must be ${HOURS} numbers ≥ 0 (one per hour, Asia/Shanghai), ` +
        `got ${Array.isArray(v) ? `${v.length} value(s)` : JSON.stringify(v)}`,
    );
    return new Array<number>(HOURS).fill(0);
  };
  const section = (name: string) => (isMap(doc[name]) ? (doc[name] as Fields) : (problems.push(`${name} must be a mapping`), {} as Fields));

  const training = section('training');
  const storage = section('storage');
  const campaigns = Array.isArray(doc.campaigns) ? doc.campaigns : (problems.push('campaigns must be a list (empty: [])'), []);
  const profile: TrafficProfile = {
    name: typeof doc.name === 'string' ? doc.name : (problems.push('name must be text'), ''),
    daysPerMonth: number('daysPerMonth', doc.daysPerMonth, 'a number of days from 1 to 31'),
    eventsPerSecond: hourly('eventsPerSecond'),
    eventsPerRequest: number('eventsPerRequest', doc.eventsPerRequest, 'a number ≥ 1'),
    recommendationsPerSecond: hourly('recommendationsPerSecond'),
    campaigns: campaigns.map((c: unknown, i: number) => {
      const at = `campaigns[${i}]`;
      const m = isMap(c) ? c : (problems.push(`${at} must be a mapping`), {} as Fields);
      return {
        name: typeof m.name === 'string' ? m.name : `campaign ${i + 1}`,
        runsPerMonth: number(`${at}.runsPerMonth`, m.runsPerMonth),
        profilesScanned: number(`${at}.profilesScanned`, m.profilesScanned),
        messagesSent: number(`${at}.messagesSent`, m.messagesSent),
        segmentsPerMessage: number(`${at}.segmentsPerMessage`, m.segmentsPerMessage ?? 1),
      };
    }),
    training: {
      runsPerMonth: number('training.runsPerMonth', training.runsPerMonth),
      minutesPerRun: number('training.minutesPerRun', training.minutesPerRun),
    },
    storage: {
      retentionDays: number('storage.retentionDays', storage.retentionDays),
      otherGb: number('storage.otherGb', storage.otherGb ?? 0),
    },
    tairInstances: number('tairInstances', doc.tairInstances),
  };
  if (profile.daysPerMonth < 1 || profile.daysPerMonth > 31)
    problems.push(`daysPerMonth must be a number of days from 1 to 31, got ${profile.daysPerMonth}`);
  if (profile.eventsPerRequest < 1) problems.push(`eventsPerRequest must be a number ≥ 1, got ${profile.eventsPerRequest}`);
  refuse(file, problems);
  return profile;
}

export function loadMeasured(file: string): MeasuredFigures {
  const doc = readYaml(file);
  const problems: string[] = [];
  const assumed: string[] = [];
  const out: Record<string, Record<string, number>> = {};
  for (const [section, names] of Object.entries(FIGURES)) {
    const s = isMap(doc[section]) ? (doc[section] as Fields) : {};
    out[section] = {};
    for (const name of names) {
      const f = s[name];
      const path = `${section}.${name}`;
      if (!isMap(f) || !isCount(f.value) || typeof f.source !== 'string' || !f.source.trim()) {
        problems.push(
          `${path} is missing or malformed: give { value: <number ≥ 0>, source: <where it was measured, or why it is assumed> }`,
        );
        continue;
      }
      out[section][name] = f.value;
      if (f.assumed === true) assumed.push(path);
    }
  }
  refuse(file, problems);
  return { ...(out as unknown as Omit<MeasuredFigures, 'assumed'>), assumed };
}

export function loadPrices(file: string): PriceBook & { unconfirmed: PriceName[] } {
  const doc = readYaml(file);
  const problems: string[] = [];
  const currency =
    typeof doc.currency === 'string' ? doc.currency : (problems.push('currency must name the report currency, e.g. USD'), '');
  const fx = isMap(doc.fx) ? doc.fx : {};
  const listed = isMap(doc.prices) ? doc.prices : {};
  const prices = {} as Record<PriceName, Price>;
  const unconfirmed: PriceName[] = [];
  for (const [name, purpose] of Object.entries(PRICES) as [PriceName, string][]) {
    const p = listed[name];
    if (!isMap(p)) {
      problems.push(`no price "${name}" (${purpose})`);
      continue;
    }
    const rate = p.currency === currency ? 1 : isMap(fx[p.currency as string]) ? (fx[p.currency as string] as Fields).value : undefined;
    if (!isCount(p.price)) problems.push(`prices.${name}.price must be a number ≥ 0`);
    else if (typeof p.source !== 'string' || !p.source.trim()) problems.push(`prices.${name}.source must say where the price comes from`);
    else if (!isCount(rate))
      problems.push(`prices.${name} is in ${String(p.currency)}: fx.${String(p.currency)}.value must convert it to ${currency}`);
    else {
      prices[name] = {
        price: p.price * rate,
        confirmed: p.confirmed === true,
        ...(isCount(p.upTo) ? { upTo: p.upTo } : {}),
        ...(isCount(p.vcpu) ? { vcpu: p.vcpu } : {}),
        ...(typeof p.type === 'string' ? { type: p.type } : {}),
      };
      if (p.confirmed !== true) unconfirmed.push(name);
    }
  }
  for (const tier of ['fc.cu.tier1', 'fc.cu.tier2'] as const)
    if (prices[tier] && prices[tier].upTo === undefined)
      problems.push(`prices.${tier}.upTo must give the CU a month up to which the tier applies`);
  for (const ecs of ['ecs.general', 'ecs.gpu'] as const)
    if (prices[ecs] && !prices[ecs].vcpu) problems.push(`prices.${ecs}.vcpu must give the instance type's vCPUs`);
  const factors = isMap(doc.cuFactors) ? doc.cuFactors : {};
  const cuFactors = {} as PriceBook['cuFactors'];
  for (const name of CU_FACTORS) {
    if (isCount(factors[name])) cuFactors[name] = factors[name];
    else problems.push(`no CU factor "cuFactors.${name}"`);
  }
  refuse(file, problems);
  return { date: String(doc.date ?? ''), currency, prices, cuFactors, unconfirmed };
}
