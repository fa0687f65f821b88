/**
 * The benchmark's baseline: the least any serving must do. A bare koa handler that reads
 * the user's recent items from Redis (one feature-store read) and runs the same ONNX model
 * once (one InferenceSession.run), answering the top 10 as JSON.
 */
import Koa from 'koa';
import { RedisFeatureStore } from '#lib/featureStore/redisStore';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { RecommenderScorer } from '#models/recommender/scorer';
import { recommenderChampion } from '#models/recommender/served';
import { ModelRegistry } from '#models/registry';
import { BUCKET } from './recommendData';

async function main() {
  const registry = new ModelRegistry(new LocalObjectStore(process.env.LOCAL_OSS_DIR!, BUCKET));
  const { version: model, bytes } = (await recommenderChampion(registry))!;
  const scorer = await RecommenderScorer.load(bytes, 'cpu', 1);
  const features = new RedisFeatureStore({ url: process.env.REDIS_URL!, prefix: process.env.MKT_REDIS_PREFIX! });

  const app = new Koa();
  app.use(async (ctx) => {
    const { recent } = await features.history(String(ctx.query.user_id));
    const history = recent
      .map((r) => model.index.get(r.itemId))
      .filter((i): i is number => i !== undefined)
      .reverse();
    const { top } = await scorer.top(history, undefined, 10);
    ctx.body = { items: Array.from(top.items, (item, i) => ({ item_id: model.meta.itemIds[item], score: top.scores[i] })) };
  });
  const server = app.listen(0, '127.0.0.1', () =>
    process.stdout.write(`bare recommend at http://127.0.0.1:${(server.address() as { port: number }).port}\n`),
  );
}

void main();
