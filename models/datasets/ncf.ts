/**
 * Readers for the NCF benchmark files (He et al. 2017): `train.rating` and `test.rating`
 * (`user\titem[\trating\ttimestamp]`) and `test.negative` (`(user,item)\tneg1\tneg2...`).
 * Ids are mapped to dense indices in order of first appearance in the training file.
 */
import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import { unprocessable } from '#lib/errors';

export interface Interactions {
  /** external id → dense index */
  userIndex: Map<string, number>;
  itemIndex: Map<string, number>;
  /**
   * Per user (dense), the dense item indices it interacted with, de-duplicated: oldest first
   * when the file has timestamps (`chronological`), else in file order.
   */
  byUser: number[][];
  chronological: boolean;
}

async function* lines(file: string): AsyncGenerator<string> {
  const rl = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) if (line.trim()) yield line;
}

const indexOf = (map: Map<string, number>, id: string) => {
  let i = map.get(id);
  if (i === undefined) map.set(id, (i = map.size));
  return i;
};

export async function readInteractions(file: string): Promise<Interactions> {
  return parseInteractions(lines(file), file);
}

/** Builds interactions from `user\titem[\trating\ttimestamp]` lines (a file, or an uploaded object's text). */
export async function parseInteractions(source: AsyncIterable<string> | Iterable<string>, file = 'input'): Promise<Interactions> {
  const data: Interactions = { userIndex: new Map(), itemIndex: new Map(), byUser: [], chronological: true };
  /** per user: item → latest timestamp (or file position) */
  const seen: Map<number, number>[] = [];
  let position = 0;
  for await (const line of source) {
    if (!line.trim()) continue;
    const [user, item, , time] = line.split('\t');
    if (item === undefined) throw unprocessable('bad_dataset', `${file}: expected user<TAB>item, got "${line.slice(0, 80)}"`);
    const t = Number(time);
    if (time === undefined || !Number.isFinite(t)) data.chronological = false;
    const u = indexOf(data.userIndex, user);
    const i = indexOf(data.itemIndex, item);
    const m = (seen[u] ??= new Map());
    m.set(i, Math.max(m.get(i) ?? -Infinity, data.chronological ? t : position));
    position++;
  }
  data.byUser = seen.map((m) => (m ? [...m].sort((a, b) => (data.chronological ? a[1] - b[1] : 0)).map(([i]) => i) : []));
  return data;
}

export interface TestCase {
  user: string;
  item: string;
  /** The candidates to rank: the test item and its negatives, de-duplicated (the public file repeats some). */
  candidates: string[];
}

/** Joins test.rating with test.negative into one candidate list per test user. */
export async function readTestCases(testFile: string, negativesFile: string): Promise<TestCase[]> {
  const negatives = new Map<string, string[]>();
  for await (const line of lines(negativesFile)) {
    const [head, ...rest] = line.split('\t');
    const m = /^\(([^,]+),([^)]+)\)$/.exec(head);
    if (!m) throw unprocessable('bad_dataset', `${negativesFile}: expected (user,item) first, got "${head}"`);
    negatives.set(`${m[1]}\t${m[2]}`, rest);
  }
  const cases: TestCase[] = [];
  for await (const line of lines(testFile)) {
    const [user, item] = line.split('\t');
    const negs = negatives.get(`${user}\t${item}`);
    if (!negs) throw unprocessable('bad_dataset', `${negativesFile} has no negatives for (${user},${item})`);
    cases.push({ user, item, candidates: [...new Set([item, ...negs])] });
  }
  return cases;
}
