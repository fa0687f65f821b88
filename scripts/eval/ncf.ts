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
import { readInteractions, readTestCases } from '#models/datasets/ncf';
import { rankOfTarget, summarise } from '#models/shared/rankingMetrics';
import { EaseTrainer, fitEase } from '#models/ease/ease';
import { usableProvider, type Provider } from '#models/onnx/executionProvider';
import { log } from '#lib/log';
import { EaseScorer, exportEase } from '#models/ease/serving';
import { tuneEase } from '#models/ease/tune';

const { values: opt } = parseArgs({
  options: {
    train: { type: 'string' },
    test: { type: 'string' },
    negatives: { type: 'string' },
    dump: { type: 'string' },
    provider: { type: 'string', default: 'cpu' },
  },
});
if (!opt.train || !opt.test || !opt.negatives) {
  process.stderr.write('usage: npm run eval:ncf -- --train train.rating --test test.rating --negatives test.negative [--dump FILE]\n');
  process.exit(2);
}

function progress(label: string, done: number, total: number) {
  const bar = '█'.repeat(Math.round((done / total) * 24)).padEnd(24, '░');
  process.stderr.write(`\r${label.padEnd(22)} ${bar} ${done}/${total}`);
  if (done === total) process.stderr.write('\n');
}

async function main() {
  const started = performance.now();
  const provider = await usableProvider(opt.provider as Provider, log);
  const data = await readInteractions(opt.train!);
  const items = data.itemIndex.size;
  const trainer = await EaseTrainer.create(provider);

  const best = await tuneEase(data.byUser, items, data.chronological, trainer, (done, total) => progress('tuning on validation', done, total));
  const { lambda, recency } = best;
  const model = await fitEase(data.byUser, items, lambda, trainer);
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
    const scores = await scorer.candidateScores(history, c.candidates.map((id) => data.itemIndex.get(id) ?? -1), recency);
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
    validation_ndcg: Number(best.validationNdcg.toFixed(4)),
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
