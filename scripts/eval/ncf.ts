/**
 * `npm run eval:ncf -- --train F --test F --negatives F [--dump FILE] [--provider cpu|cuda]`
 * Trains EASE on an NCF-format training file and evaluates it by the NCF protocol: each test
 * item is ranked among its (de-duplicated) negatives, ties counting against it. λ and the
 * recency weighting are tuned on a validation split carved from the training data (each
 * user's latest training item when the file has timestamps, else a random one, with 99
 * sampled negatives), never on the test items. Last line: JSON with hr@10, ndcg@10, train_s, eval_s.
 */
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { readInteractions, readTestCases, type Interactions } from '../../lib/datasets/ncf';
import { rankOfTarget, summarise } from '../../lib/ranking/metrics';
import { createSession, easeScores, easeTrainingGraph, fitEase, NO_RECENCY, type Provider, type Recency } from '../../models/ease/ease';
import { EaseScorer, exportEase } from '../../models/ease/serving';

const { values: opt } = parseArgs({
  options: {
    train: { type: 'string' },
    test: { type: 'string' },
    negatives: { type: 'string' },
    dump: { type: 'string' },
    provider: { type: 'string', default: 'cpu' },
    seed: { type: 'string', default: '42' },
  },
});
if (!opt.train || !opt.test || !opt.negatives) {
  process.stderr.write('usage: npm run eval:ncf -- --train train.rating --test test.rating --negatives test.negative [--dump FILE]\n');
  process.exit(2);
}

const LAMBDAS = [100, 200, 400, 700, 1000];
/** Recency only means something when the file says when things happened. */
const RECENCIES: Recency[] = [NO_RECENCY, ...[2, 4, 8].flatMap((boost) => [5, 10, 20].map((tau) => ({ boost, tau })))];

function progress(label: string, done: number, total: number) {
  const bar = '█'.repeat(Math.round((done / total) * 24)).padEnd(24, '░');
  process.stderr.write(`\r${label.padEnd(22)} ${bar} ${done}/${total}`);
  if (done === total) process.stderr.write('\n');
}

let seed = Number(opt.seed);
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Holds out each user's latest (or, without timestamps, a random) training item, with 99 sampled items the user never touched. */
function validationSplit(data: Interactions) {
  const items = data.itemIndex.size;
  const fit: number[][] = [];
  const cases: { user: number; candidates: number[] }[] = [];
  data.byUser.forEach((list, u) => {
    if (list.length < 2) {
      fit[u] = list;
      return;
    }
    const at = data.chronological ? list.length - 1 : Math.floor(rand() * list.length);
    fit[u] = [...list.slice(0, at), ...list.slice(at + 1)];
    const held = list[at];
    const touched = new Set(list);
    const candidates = new Set([held]);
    while (candidates.size < Math.min(100, items - touched.size + 1)) {
      const c = Math.floor(rand() * items);
      if (!touched.has(c)) candidates.add(c);
    }
    cases.push({ user: u, candidates: [...candidates] });
  });
  return { fit, cases };
}

async function main() {
  const started = performance.now();
  const provider = opt.provider as Provider;
  const data = await readInteractions(opt.train!);
  const items = data.itemIndex.size;
  const session = await createSession(easeTrainingGraph(), provider);

  const { fit, cases: validation } = validationSplit(data);
  const recencies = data.chronological ? RECENCIES : [NO_RECENCY];
  let best = { lambda: LAMBDAS[0], recency: NO_RECENCY, ndcg: -1 };
  for (let i = 0; i < LAMBDAS.length; i++) {
    progress('tuning on validation', i, LAMBDAS.length);
    const candidate = await fitEase(fit, items, LAMBDAS[i], session);
    for (const recency of recencies) {
      const ranks = validation.map((c) => rankOfTarget(easeScores(candidate, fit[c.user], c.candidates, recency), 0));
      const { ndcg } = summarise(ranks);
      if (ndcg > best.ndcg) best = { lambda: LAMBDAS[i], recency, ndcg };
    }
  }
  progress('tuning on validation', LAMBDAS.length, LAMBDAS.length);
  const { lambda, recency } = best;
  const model = await fitEase(data.byUser, items, lambda, session);
  const exported = exportEase(model, { lambda: String(lambda), recency: JSON.stringify(recency) });
  const trainS = (performance.now() - started) / 1000;

  // The test is scored by the exported ONNX model: what is measured is what is served.
  const evalStarted = performance.now();
  const scorer = await EaseScorer.load(exported, provider);
  const cases = await readTestCases(opt.test!, opt.negatives!);
  const dump = opt.dump ? createWriteStream(opt.dump) : undefined;
  const ranks: number[] = [];
  for (const [n, c] of cases.entries()) {
    const u = data.userIndex.get(c.user);
    const history = u === undefined ? [] : data.byUser[u];
    const all = history.length > 0 ? (await scorer.score(history, recency, 1)).scores : undefined;
    // Items the model never saw score 0, as do all items for a user with no history.
    const scores = c.candidates.map((id) => {
      const i = data.itemIndex.get(id);
      return all && i !== undefined ? all[i] : 0;
    });
    ranks.push(rankOfTarget(scores, 0));
    if (dump) dump.write(c.candidates.map((id, i) => `${c.user}\t${id}\t${scores[i]}`).join('\n') + '\n');
    if (n % 500 === 0 || n === cases.length - 1) progress('evaluating', n + 1, cases.length);
  }
  await new Promise<void>((resolve) => (dump ? dump.end(resolve) : resolve()));
  const { hr, ndcg } = summarise(ranks, 10);
  const result = {
    'hr@10': Number(hr.toFixed(4)),
    'ndcg@10': Number(ndcg.toFixed(4)),
    train_s: Number(trainS.toFixed(2)),
    eval_s: Number(((performance.now() - evalStarted) / 1000).toFixed(2)),
    model: 'ease',
    lambda,
    recency,
    validation_ndcg: Number(best.ndcg.toFixed(4)),
    users: data.byUser.length,
    items,
    provider,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`eval:ncf failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
