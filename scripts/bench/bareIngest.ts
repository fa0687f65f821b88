/**
 * The benchmark's baseline: the least work any durable ingest must do. A bare koa handler
 * that reads and parses the same body and writes it to the same durable store (one Redis
 * XADD of the raw batch) before answering.
 */
import Koa from 'koa';
import Redis from 'ioredis';
import { readBody } from '#lib/fc/customRuntime';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
const stream = `${process.env.MKT_REDIS_PREFIX ?? 'mkt-bench:'}bare:log`;
const app = new Koa();
app.use(async (ctx) => {
  const body = await readBody(ctx.req, 1024 * 1024);
  const { events } = JSON.parse(body.toString()) as { events: unknown[] };
  await redis.xadd(stream, '*', 'b', body);
  ctx.body = { accepted: events.length, duplicates: 0, rejected: [] };
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`bare ingest at http://127.0.0.1:${address.port}\n`);
});
