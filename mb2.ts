import { RedisEventLog } from './lib/eventLog/redisLog';
import { RedisFeatureStore } from './lib/featureStore/redisStore';
import { MemoryFeatureStore } from './lib/featureStore/memoryStore';
import { LocalJournal } from './lib/eventLog/localJournal';
import { ingestBatch } from './functions/ingest/ingestBatch';
import { MetricsRecorder } from './lib/metrics/recorder';
import { LocalMetricsSink } from './lib/metrics/localSink';
import { createLogger } from './lib/log';
import { signRequest } from './lib/appAuth';
const mode = process.argv[2];
(async () => {
  const redis = mode === 'redis';
  const log = redis ? new RedisEventLog({ url: 'redis://127.0.0.1:6379', prefix: 'mkt-mb:' }) : new LocalJournal('/tmp/mbj');
  const features = redis ? new RedisFeatureStore({ url: 'redis://127.0.0.1:6379', prefix: 'mkt-mb:' }) : new MemoryFeatureStore();
  const deps = { log, features, metrics: new MetricsRecorder(new LocalMetricsSink()), appKeys: { demo: 'demo-secret' }, rateLimitPerMinute: 1e9, clock: Date.now, logger: createLogger({}, () => {}) };
  let n = 0; let stop = false;
  const body = (id: number) => JSON.stringify({ events: Array.from({ length: 20 }, (_, i) => ({ event_id: `b${id}-${i}`, type: i % 3 ? 'click' : 'add_to_cart', user_id: `u${id % 20000}`, ts: Date.now(), item_id: `sku-${(id * 13 + i * 17) % 3000}`, category: `c${i % 12}`, context: { platform: 'wechat', scene: '1001', page: 'pages/item/index', app_version: '3.2.0' } })) });
  const bodies = Array.from({ length: 30000 }, (_, i) => Buffer.from(body(i)));
  const t0 = performance.now(); const c0 = process.cpuUsage();
  const loop = async () => { while (!stop) { const id = n++; const b = bodies[id % bodies.length]; await ingestBatch(deps, { headers: signRequest('demo', 'demo-secret', 'POST', '/v1/events', b), body: b, clientIp: '1.2.3.4' }); } };
  setTimeout(() => (stop = true), 3000);
  await Promise.all(Array.from({ length: 32 }, loop));
  const s = (performance.now() - t0) / 1000; const cpu = process.cpuUsage(c0);
  console.log(mode, (n / s).toFixed(0), 'batches/s', ((cpu.user + cpu.system) / 1000 / n).toFixed(3), 'ms cpu/batch (incl. signing)');
  if (redis) { const r = (log as RedisEventLog).redis; let cur = '0'; do { const [nx, keys] = await r.scan(cur, 'MATCH', 'mkt-mb:*', 'COUNT', 5000); if (keys.length) await r.unlink(...keys); cur = nx; } while (cur !== '0'); }
  await log.close(); await features.close();
})();
