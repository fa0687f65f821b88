/**
 * The Hillstrom e-mail experiment as uplift data: one treatment arm against the control,
 * customer features encoded for a propensity model. Read from ../shared/data (never copied).
 */
import { readFileSync } from 'node:fs';
import { seededRandom, shuffled } from '#lib/random';
import { parseCsv } from '#lib/csv';

export interface UpliftRow {
  features: Float64Array;
  treated: 0 | 1;
  y: 0 | 1;
}

const HISTORY_SEGMENTS = [
  '1) $0 - $100',
  '2) $100 - $200',
  '3) $200 - $350',
  '4) $350 - $500',
  '5) $500 - $750',
  '6) $750 - $1,000',
  '7) $1,000 +',
];
const ZIPS = ['Surburban', 'Urban', 'Rural'];
const CHANNELS = ['Phone', 'Web', 'Multichannel'];

const oneHot = (value: string, levels: string[]) => levels.map((l) => (l === value ? 1 : 0));

/** The customer's features (no treatment): recency, spend history, what they bought, where, how. */
export function encodeCustomer(c: Record<string, string>): Float64Array {
  const recency = Number(c.recency);
  return Float64Array.from([
    ...Array.from({ length: 12 }, (_, i) => (recency === i + 1 ? 1 : 0)),
    ...oneHot(c.history_segment, HISTORY_SEGMENTS),
    Math.log1p(Number(c.history)) - 5,
    Number(c.mens),
    Number(c.womens),
    ...oneHot(c.zip_code, ZIPS),
    Number(c.newbie),
    ...oneHot(c.channel, CHANNELS),
  ]);
}

/** Splits one CSV line, honouring double-quoted fields ("6) $750 - $1,000"). */
export const csvFields = (line: string): string[] => parseCsv(line)[0]?.fields ?? [''];

export function readHillstrom(file: string, treatment = 'Womens E-Mail', control = 'No E-Mail', target = 'visit'): UpliftRow[] {
  const [header, ...lines] = parseCsv(readFileSync(file, 'utf8'));
  const names = header.fields;
  const rows: UpliftRow[] = [];
  for (const { fields } of lines) {
    const c = Object.fromEntries(fields.map((v, i) => [names[i], v]));
    if (c.segment !== treatment && c.segment !== control) continue;
    rows.push({ features: encodeCustomer(c), treated: c.segment === treatment ? 1 : 0, y: Number(c[target]) ? 1 : 0 });
  }
  return rows;
}

/** A 50/50 split stratified by (treatment, outcome), reproducible from the seed. */
export function stratifiedHalves<T extends UpliftRow>(rows: T[], seed = 42): { train: T[]; test: T[] } {
  const rand = seededRandom(seed);
  const groups = new Map<string, T[]>();
  for (const r of rows) (groups.get(`${r.treated}${r.y}`) ?? groups.set(`${r.treated}${r.y}`, []).get(`${r.treated}${r.y}`)!).push(r);
  const train: T[] = [];
  const test: T[] = [];
  for (const group of groups.values()) {
    const g = shuffled(group, rand);
    train.push(...g.slice(0, Math.floor(g.length / 2)));
    test.push(...g.slice(Math.floor(g.length / 2)));
  }
  return { train, test };
}
