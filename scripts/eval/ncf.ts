/**
 * `npm run eval:ncf -- --train F --test F --negatives F [--family auto|ease|als] [--dump FILE] [--provider cpu|cuda]`
 * Trains the recommendation model on an NCF-format training file as `train` does and evaluates it
 * by the NCF protocol: each test item is ranked among its (de-duplicated) negatives, ties counting
 * against it. EASE, ALS and their blend are tuned and chosen on a validation split carved from the
 * training data (each user's latest training item when the file has timestamps, else a random one,
 * with 99 sampled negatives), never on the test items; then the choice is refitted on all the
 * training data. `--family` forces one family. Last line: JSON with hr@10, ndcg@10, train_s, eval_s.
 */
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { readInteractions, readTestCases } from '#models/datasets/ncf';
import { rankOfTarget, summarise } from '#models/shared/rankingMetrics';
import { usableProvider, type Provider } from '#models/onnx/executionProvider';
import { log } from '#lib/log';
import { RecommenderScorer } from '#models/recommender/scorer';
import { exportFitted, fitRecommender, tuneRecommender } from '#models/recommender/train';

const { values: opt } = parseArgs({
  options: {
    train: { type: 'string' },
    test: { type: 'string' },
    negatives: { type: 'string' },
    dump: { type: 'string' },
    family: { type: 'string', default: 'auto' },
    provider: { type: 'string', default: 'cpu' },
  },
});
if (!opt.train || !opt.test || !opt.negatives || !['auto', 'ease', 'als'].includes(opt.family!)) {
  process.stderr.write(
    'usage: npm run eval:ncf -- --train train.rating --test test.rating --negatives test.negative [--family auto|ease|als] [--dump FILE]\n',
  );
  process.exit(2);
}

async function main() {
  const started = performance.now();
  const provider = await usableProvider(opt.provider as Provider, log);
  const data = await readInteractions(opt.train!);
  const items = data.itemIndex.size;
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  const options = {
    provider,
    only: opt.family === 'auto' ? undefined : (opt.family as 'ease' | 'als'),
    onProgress: (stage: string) => process.stderr.write(`${seconds().padStart(6)} s  ${stage}\n`),
  };
  const tuned = await tuneRecommender(data.byUser, items, data.chronological, options);
  const { recipe } = tuned;
  const exported = await exportFitted(await fitRecommender(recipe, data.byUser, items, { ...options, from: tuned }), provider);
  const trainS = (performance.now() - started) / 1000;

  // The test is scored by the exported ONNX model: what is measured is what is served.
  const evalStarted = performance.now();
  const scorer = await RecommenderScorer.load(exported, provider);
  const cases = await readTestCases(opt.test!, opt.negatives!);
  const dump = opt.dump ? createWriteStream(opt.dump) : undefined;
  const ranks: number[] = [];
  for (const c of cases) {
    const u = data.userIndex.get(c.user);
    const history = u === undefined ? [] : data.byUser[u];
    const scores = await scorer.candidateScores(
      history,
      c.candidates.map((id) => data.itemIndex.get(id) ?? -1),
      recipe.recency,
    );
    ranks.push(rankOfTarget(scores, 0));
    if (dump) dump.write(`${c.candidates.map((id, i) => `${c.user}\t${id}\t${scores[i]}`).join('\n')}\n`);
  }
  await new Promise<void>((resolve) => (dump ? dump.end(resolve) : resolve()));
  const { hr, ndcg } = summarise(ranks, 10);
  const result = {
    'hr@10': Number(hr.toFixed(4)),
    'ndcg@10': Number(ndcg.toFixed(4)),
    train_s: Number(trainS.toFixed(2)),
    eval_s: Number(((performance.now() - evalStarted) / 1000).toFixed(2)),
    model: recipe.family,
    ease: recipe.ease,
    als: recipe.als,
    weights: recipe.weights,
    recency: recipe.recency,
    validation_ndcg: recipe.validationNdcg,
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
