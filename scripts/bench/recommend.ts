/**
 * `npm run bench:recommend`: a trained model over 3,706 items and 5,000 users' features in
 * Redis; then, at concurrency 32 for n=10 over the whole catalogue, the platform's recommend
 * and, in the same run under the same load, the bare koa + one read + one run baseline; then
 * the cold start of a fresh recommend instance (process start to first 200, model load
 * included). Starts the local platform itself unless MKT_URL points at a running one.
 * The last line is JSON: p50_ms, p99_ms, rps, baseline_p99_ms, overhead_ratio, cold_start_ms.
 */
import { runBench } from './processes';
import { prepareModel, populateFeatures, SERVED_USERS } from './recommendData';
import { measureServing } from './recommendServing';

runBench(async (bench) => {
  const model = await prepareModel(bench.env.LOCAL_OSS_DIR);
  await populateFeatures(bench.redisUrl, bench.prefix);
  process.stdout.write(
    `model ${model.version}: ${(model.bytes / 2 ** 20).toFixed(1)} MiB ONNX, trained ` +
      `in ${model.trainS.toFixed(1)} s; ${SERVED_USERS} users' features in Redis\n`,
  );
  process.stdout.write(`${JSON.stringify(await measureServing(bench, SERVED_USERS))}\n`);
});
