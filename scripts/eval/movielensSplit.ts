/**
 * Makes an NCF-format leave-one-out split of MovieLens `u.data` for development:
 * each user's latest interaction is the test item, with 99 sampled items they never touched
 * (seeded). The source may not be redistributed: the output goes under .local/, never git.
 *
 *   npx tsx scripts/eval/movielensSplit.ts --data ../shared/data/ml-100k/u.data --out .local/ncf-ml100k [--valid]
 * `--valid` splits the training part again (each user's latest remaining item), for tuning.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandom } from '#lib/random';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string', default: '1' },
    valid: { type: 'boolean', default: false },
  },
});
if (!values.data || !values.out) throw new Error('usage: --data u.data --out DIR [--valid]');

const rand = seededRandom(Number(values.seed));

const rows = readFileSync(values.data, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => l.split('\t'))
  .map(([u, i, r, t]) => ({ u, i, r, t: Number(t) }));
const items = [...new Set(rows.map((r) => r.i))];
const byUser = new Map<string, typeof rows>();
for (const r of rows) (byUser.get(r.u) ?? byUser.set(r.u, []).get(r.u)!).push(r);

function split(groups: Map<string, typeof rows>) {
  const train: string[] = [];
  const test: string[] = [];
  const negatives: string[] = [];
  const rest = new Map<string, typeof rows>();
  for (const [u, list] of [...groups].sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const sorted = [...list].sort((a, b) => a.t - b.t || Number(a.i) - Number(b.i));
    const last = sorted.pop()!;
    rest.set(u, sorted);
    for (const r of sorted) train.push(`${r.u}\t${r.i}\t${r.r}\t${r.t}`);
    test.push(`${last.u}\t${last.i}\t${last.r}\t${last.t}`);
    const touched = new Set(list.map((r) => r.i));
    const negs = new Set<string>();
    while (negs.size < 99) {
      const c = items[Math.floor(rand() * items.length)];
      if (!touched.has(c)) negs.add(c);
    }
    negatives.push(`(${u},${last.i})\t${[...negs].join('\t')}`);
  }
  return { train, test, negatives, rest };
}

const first = split(byUser);
const out = values.valid ? split(first.rest) : first;
mkdirSync(values.out, { recursive: true });
writeFileSync(path.join(values.out, 'train.rating'), `${out.train.join('\n')}\n`);
writeFileSync(path.join(values.out, 'test.rating'), `${out.test.join('\n')}\n`);
writeFileSync(path.join(values.out, 'test.negative'), `${out.negatives.join('\n')}\n`);
process.stdout.write(`${out.train.length} training interactions, ${out.test.length} test users → ${values.out}\n`);
