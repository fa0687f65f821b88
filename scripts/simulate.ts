/**
 * `npm run simulate`: realistic mini-program traffic against a running platform. Users
 * (some anonymous, some repeat buyers) browse a catalogue in sessions that walk the funnel
 * exposure → click → cart → purchase; each session's events go out in batches with that user's token
 * (the simulator plays the backend too, getting each token once, as at login), with
 * retries on 429/503 like a real SDK. First it uploads the catalogue (categories,
 * availability, listing dates) that recommend's rules read. Shows a progress bar and prints a summary.
 *
 *   npm run simulate -- [--url http://127.0.0.1:9000] [--sessions 500] [--users 200] [--concurrency 8] [--seed 7] [--days 0]
 *
 * `--days N` spreads the sessions over the last N days (history for training: the propensity
 * model learns who buys in the week after a cutoff); by default they all start in the last minute.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { seededRandom } from '#lib/random';
import { increment } from '#lib/tally';
import { postBatch, requestToken, type BatchReply } from './lib/ingestClient';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.MKT_URL ?? 'http://127.0.0.1:9000' },
    sessions: { type: 'string', default: '500' },
    users: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '8' },
    seed: { type: 'string', default: '7' },
    days: { type: 'string', default: '0' },
    app: { type: 'string', default: 'demo' },
    bucket: { type: 'string', default: 'mkt-data' },
    // The app's server secret: the simulator plays the merchant's backend too, getting each user's token at login.
    secret: { type: 'string', default: process.env.MKT_APP_SECRET ?? 'demo-secret' },
  },
});

const rand = seededRandom(Number(opt.seed));
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];

const CATEGORIES = ['女装', '男装', '美妆', '母婴', '数码', '家电', '食品', '运动', '家居', '图书', '宠物', '珠宝'];
const catalogue = Array.from({ length: 600 }, (_, i) => ({
  id: `sku-${String(i).padStart(4, '0')}`,
  category: CATEGORIES[i % CATEGORIES.length],
  price: Math.round((5 + rand() ** 2 * 995) * 100) / 100,
  appeal: rand() ** 3, // a few items are much more attractive than the rest
}));
const users = Array.from({ length: Number(opt.users) }, (_, i) => ({
  id: `user-${i}`,
  anonymous: rand() < 0.2,
  repeatBuyer: rand() < 0.15,
  taste: pick(CATEGORIES),
  platform: pick(['wechat', 'wechat', 'wechat', 'alipay', 'douyin', 'h5']),
}));

const spreadMs = Number(opt.days) > 0 ? Number(opt.days) * 86_400_000 : 60_000;

type Event = Record<string, unknown>;
let eventNo = 0;

/** One visit: a feed of exposures, clicks on appealing items, carts, sometimes a purchase. */
function session(): { who: TokenSubject; events: Event[]; funnel: Record<string, number>; revenue: number } {
  const u = pick(users);
  let ts = Date.now() - Math.floor(rand() * spreadMs);
  const who = u.anonymous ? { anonymous_id: `anon-${u.id}` } : { user_id: u.id };
  const context = { platform: u.platform, scene: pick(['1001', '1007', '1089']), app_version: '3.2.0' };
  const events: Event[] = [];
  const funnel: Record<string, number> = {};
  let revenue = 0;
  const add = (type: string, fields: Event = {}, page = 'pages/index/index') => {
    ts += 500 + Math.floor(rand() * 8000);
    events.push({ event_id: `sim-${process.pid}-${eventNo++}`, type, ts, ...who, ...fields, context: { ...context, page } });
    increment(funnel, type);
  };
  add('page_view');
  if (rand() < 0.2) add('search', { properties: { query: u.taste } }, 'pages/search/index');
  for (let feed = 0; feed < 1 + Math.floor(rand() * 3); feed++) {
    const shown = Array.from({ length: 10 }, () =>
      rand() < 0.5 ? pick(catalogue.filter((c) => c.category === u.taste)) : pick(catalogue),
    );
    add('exposure', { item_ids: shown.map((s) => s.id) });
    funnel.exposed_items = (funnel.exposed_items ?? 0) + shown.length;
    for (const item of shown) {
      if (rand() > 0.08 + item.appeal * 0.3) continue;
      const fields = { item_id: item.id, category: item.category, price: item.price };
      add('click', fields, 'pages/item/index');
      if (rand() < 0.1) add('favorite', fields, 'pages/item/index');
      if (rand() < 0.05) add('share', fields, 'pages/item/index');
      if (rand() < 0.3) {
        add('add_to_cart', { ...fields, quantity: 1 }, 'pages/item/index');
        if (rand() < (u.repeatBuyer ? 0.6 : 0.35)) {
          const quantity = 1 + Math.floor(rand() ** 4 * 3);
          add('purchase', { ...fields, quantity, order_id: `order-${eventNo}` }, 'pages/pay/index');
          revenue += item.price * quantity;
        }
      }
    }
  }
  return { who, events, funnel, revenue };
}

type TokenSubject = { user_id: string } | { anonymous_id: string };
const tokens = new Map<string, Promise<string>>();
/** The mini-program's token for this user or install, from the backend (once per user, as at login). */
function tokenOf(url: string, agent: http.Agent, who: TokenSubject): Promise<string> {
  const key = JSON.stringify(who);
  if (!tokens.has(key)) tokens.set(key, requestToken({ baseUrl: url, appId: opt.app, secret: opt.secret, agent }, who));
  return tokens.get(key)!;
}

async function sendWithRetry(url: string, agent: http.Agent, who: TokenSubject, body: string): Promise<BatchReply> {
  for (let attempt = 0; ; attempt++) {
    try {
      const reply = await postBatch({ baseUrl: url, agent, token: await tokenOf(url, agent, who) }, body);
      if ((reply.status !== 429 && reply.status !== 503) || attempt >= 5) return reply;
      await new Promise((r) => setTimeout(r, Number(reply.headers['retry-after'] ?? 1) * 1000));
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

/** The shop's catalogue file, for recommend's rules (the local runtime's object-store endpoint). */
async function uploadCatalogue(): Promise<void> {
  const lines = catalogue.map((c, i) => ({
    item_id: c.id,
    category: c.category,
    available: i % 40 !== 13,
    listed_at: new Date(Date.now() - (i % 100) * 86_400_000).toISOString(),
  }));
  const res = await fetch(`${opt.url!.replace(/\/$/, '')}/-/oss/${opt.bucket}/catalog/items.jsonl`, {
    method: 'PUT',
    body: lines.map((l) => JSON.stringify(l)).join('\n'),
  });
  if (!res.ok) process.stderr.write(`catalogue not uploaded (${res.status}): only the local runtime takes /-/oss writes\n`);
}

async function main() {
  await uploadCatalogue().catch((err: Error) => process.stderr.write(`catalogue not uploaded: ${err.message}\n`));
  const url = `${opt.url!.replace(/\/$/, '')}/ingest`;
  const total = Number(opt.sessions);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number(opt.concurrency) });
  const totals = { sessions: 0, events: 0, accepted: 0, duplicates: 0, rejected: 0, failedBatches: 0, revenue: 0 };
  const funnel: Record<string, number> = {};
  const statuses: Record<number, number> = {};
  const latencies: number[] = [];
  const started = performance.now();
  let lastDraw = 0;
  const draw = () => {
    const done = totals.sessions / total;
    const now = performance.now();
    // A live bar on a terminal; in a log, a line every 10%.
    if (
      process.stderr.isTTY ? now - lastDraw < 100 && done < 1 : Math.floor(done * 10) === Math.floor(((totals.sessions - 1) / total) * 10)
    )
      return;
    lastDraw = now;
    const bar = '█'.repeat(Math.round(done * 30)).padEnd(30, '░');
    const rate = totals.events / ((performance.now() - started) / 1000);
    process.stderr.write(
      `${process.stderr.isTTY ? '\r' : ''}${bar} ${(done * 100).toFixed(0).padStart(3)}%  ${totals.sessions}/${total} ` +
        `sessions  ${totals.events} events  ${rate.toFixed(0)} events/s ${process.stderr.isTTY ? '' : '\n'}`,
    );
  };
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      const s = session();
      for (const [k, v] of Object.entries(s.funnel)) funnel[k] = (funnel[k] ?? 0) + v;
      totals.revenue += s.revenue;
      for (let i = 0; i < s.events.length; i += 20) {
        const batch = s.events.slice(i, i + 20);
        const reply = await sendWithRetry(url, agent, s.who, JSON.stringify({ events: batch })).catch(() => undefined);
        totals.events += batch.length;
        if (!reply) {
          totals.failedBatches++;
          continue;
        }
        increment(statuses, String(reply.status));
        latencies.push(reply.ms);
        totals.accepted += reply.body.accepted ?? 0;
        totals.duplicates += reply.body.duplicates ?? 0;
        totals.rejected += reply.body.rejected?.length ?? 0;
        if (reply.status !== 200) totals.failedBatches++;
      }
      totals.sessions++;
      draw();
    }
  };
  await Promise.all(Array.from({ length: Number(opt.concurrency) }, worker));
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]?.toFixed(1);
  process.stderr.write('\n');
  const lines = [
    `sessions     ${totals.sessions} by ${users.length} users over ${seconds.toFixed(1)} s`,
    `events       ${totals.events} sent, ${totals.accepted} accepted, ${totals.duplicates} duplicates, ${totals.rejected} rejected`,
    `batches      ${Object.entries(statuses)
      .map(([s, n]) => `${n}× ${s}`)
      .join(', ')}${totals.failedBatches ? `, ${totals.failedBatches} failed` : ''}`,
    `latency      p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`,
    `funnel       ${['exposed_items', 'click', 'add_to_cart', 'purchase'].map((t) => `${t} ${funnel[t] ?? 0}`).join(' → ')}`,
    `revenue      ¥${totals.revenue.toFixed(2)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (totals.failedBatches > 0) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`\nsimulate failed: ${(err as Error).message} (is the platform running? npm start)\n`);
  process.exit(1);
});
