/** Ingest through real HTTP requests: every answer of the contract, signed like a mini-program. */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { signRequest } from '#lib/auth';
import { signature } from '#lib/auth/signature';
import { RedisEventLog } from '#lib/eventLog/redisLog';
import type { RawEvent } from '#lib/events/contract';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { listAll } from '#lib/objectStore/port';
import { decodeRawObject, rawEventsOf } from '#lib/events/rawLog';
import { flushEventLog } from '../../functions/compact/flush';
import { postBatch } from '../../scripts/lib/ingestClient';
import { event, startIngest, type IngestHarness } from './harness';

let h: IngestHarness;
/** Every event the event log holds, as compact will write it to the raw log. */
const stored = async () => (await h.log.pending(1000)).flatMap((e) => rawEventsOf(e.record, e.duplicate));
beforeEach(async () => {
  h = await startIngest();
});
afterEach(() => h.close());

const send = (body: unknown, headers: Record<string, string> = {}) =>
  postBatch({ baseUrl: h.baseUrl }, Buffer.isBuffer(body) ? body : JSON.stringify(body), headers);

/** Sends raw bytes with hand-made headers (for what postBatch always gets right). */
function rawRequest(
  path: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }> {
  const url = new URL(h.baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : { text } });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('POST /v1/events: accepted batches', () => {
  it('accepts a valid batch, makes it durable and answers counts', async () => {
    const events = [
      event(),
      event({ type: 'purchase', price: 25.5, quantity: 2, order_id: 'o-1' }),
      event({ type: 'x_coupon_open', item_id: undefined }),
    ];
    const reply = await send({ events });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    const lines = await stored();
    expect(lines.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id));
    expect(lines[1]).toMatchObject({ app_id: 'demo', type: 'purchase', price: 25.5, quantity: 2, client_ip: '127.0.0.1' });
    expect(lines[1].received_at).toBeGreaterThanOrEqual(events[1].ts);
  });

  it('corrects event time by the client clock skew and keeps the client time', async () => {
    const clientClock = () => Date.now() - 120_000; // the phone is two minutes slow
    const ts = clientClock() - 5000;
    const reply = await postBatch({ baseUrl: h.baseUrl, clock: clientClock }, JSON.stringify({ events: [event({ ts })] }));
    expect(reply.status).toBe(200);
    const [line] = await stored();
    expect(line.ts).toBe(ts);
    expect(line.event_time - ts).toBeGreaterThanOrEqual(119_000);
    expect(line.event_time - ts).toBeLessThanOrEqual(122_000);
  });

  it('takes the client IP from x-forwarded-for, as FC passes it', async () => {
    await send({ events: [event()] }, { 'x-forwarded-for': '112.10.236.5, 10.0.0.1' });
    expect((await stored())[0].client_ip).toBe('112.10.236.5');
  });

  it('counts duplicates (retries, and repeats inside a batch) instead of storing them', async () => {
    const a = event();
    const b = event();
    expect((await send({ events: [a, b] })).body).toMatchObject({ accepted: 2, duplicates: 0 });
    expect((await send({ events: [a, b, event()] })).body).toMatchObject({ accepted: 1, duplicates: 2 });
    const c = event();
    expect((await send({ events: [c, c] })).body).toMatchObject({ accepted: 1, duplicates: 1 });
    const ids = (await stored()).map((e) => e.event_id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
  });

  it('de-duplicates per app: the same event id from two apps is two events', async () => {
    const e = event();
    await send({ events: [e] });
    const reply = await postBatch({ baseUrl: h.baseUrl, appId: 'shop2', secret: 'another-secret' }, JSON.stringify({ events: [e] }));
    expect(reply.body).toMatchObject({ accepted: 1, duplicates: 0 });
  });

  it("notes what recommend showed in each person's contact history, once however often the batch is resent", async () => {
    const shown = event({ user_id: 'viewer', type: 'exposure', item_id: undefined, item_ids: ['sku-1', 'sku-2'] });
    await send({ events: [shown, event({ user_id: 'viewer', type: 'click', item_id: 'sku-1' })] });
    await send({ events: [shown] });
    const [history] = await h.contacts.contactsOf(['viewer'], 0);
    expect(history).toEqual([{ channel: 'shown', at: expect.any(Number), items: ['sku-1', 'sku-2'] }]);
  });

  it('updates real-time features before answering', async () => {
    await send({
      events: [
        event({ user_id: 'fu', item_id: 'sku-9', type: 'add_to_cart' }),
        event({ user_id: undefined, anonymous_id: 'visitor-7', item_id: 'sku-3' }),
      ],
    });
    const u = await h.features.user('fu', Date.now());
    expect(u.recent[0]).toMatchObject({ itemId: 'sku-9', type: 'add_to_cart' });
    expect(u.counts.add_to_cart.d1).toBe(1);
    expect((await h.features.user('anon:visitor-7', Date.now())).recent[0].itemId).toBe('sku-3');
    expect((await h.features.trending(5, Date.now())).map((t) => t.itemId)).toEqual(['sku-9', 'sku-3']);
  });

  it('reports accepted, duplicate and rejected counts as metrics, sent at the latest when FC stops the instance', async () => {
    const e = event();
    await send({ events: [e, e, { type: 'click' }] });
    expect(h.metrics.latest.size).toBe(0); // held for the flush interval
    const preStop = await fetch(h.baseUrl, { headers: { 'x-fc-control-path': '/pre-stop' } });
    expect(preStop.status).toBe(200);
    const values = Object.fromEntries([...h.metrics.latest.values()].map((d) => [d.name, d.value]));
    expect(values).toMatchObject({ EventsAccepted: 1, EventsDuplicate: 1, EventsRejected: 1 });
  });
});

describe('POST /v1/events: one bad event rejects that event only', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['no event_id', { event_id: undefined }, 'invalid_event_id', /event_id/],
    ['a 65-character event_id', { event_id: 'x'.repeat(65) }, 'invalid_event_id', /1-64/],
    ['an unknown type', { type: 'buy' }, 'invalid_type', /type must be one of/],
    ['a custom type without x_', { type: 'coupon' }, 'invalid_type', /x_/],
    ['no user at all', { user_id: undefined }, 'missing_user', /user_id or anonymous_id/],
    ['a numeric user_id', { user_id: 42 }, 'invalid_user_id', /user_id must be a string/],
    ['a 129-character anonymous_id', { anonymous_id: 'a'.repeat(129) }, 'invalid_anonymous_id', /anonymous_id/],
    ['ts in seconds as a string', { ts: '1700000000' }, 'invalid_ts', /ts must be epoch milliseconds/],
    ['101 item_ids', { type: 'exposure', item_ids: Array.from({ length: 101 }, (_, i) => `s${i}`) }, 'invalid_item_ids', /at most 100/],
    ['a negative price', { price: -1 }, 'invalid_price', /price/],
    ['a fractional quantity', { quantity: 1.5 }, 'invalid_quantity', /quantity/],
    ['properties over 4 KiB', { properties: { blob: 'x'.repeat(5000) } }, 'invalid_properties', /4096 bytes/],
    ['properties as an array', { properties: [1] }, 'invalid_properties', /object/],
    ['an unknown platform', { context: { platform: 'qq' } }, 'invalid_context', /context.platform/],
    ['an unknown field', { coupon: 1 }, 'unknown_field', /coupon/],
    ['an event_id with a lone surrogate', { event_id: 'e-\ud800' }, 'invalid_event_id', /whole Unicode/],
    ['a user_id with a lone surrogate', { user_id: 'u\udc00' }, 'invalid_user_id', /whole Unicode/],
    ['an item id with a lone surrogate', { type: 'exposure', item_ids: ['ok', 's\ud83d'] }, 'invalid_item_ids', /item_ids/],
    ['a context value with a lone surrogate', { context: { page: 'p\udfff' } }, 'invalid_context', /whole Unicode/],
    ['ts past year 9999', { ts: 253_402_300_800_000 }, 'invalid_ts', /before year 10000/],
    ['ts of 1e308', { ts: 1e308 }, 'invalid_ts', /before year 10000/],
    ['a price of 1e308', { type: 'purchase', price: 1e308, quantity: 2 }, 'invalid_price', /0 to 1000000000/],
    ['a quantity over a million', { type: 'purchase', price: 1, quantity: 1_000_001 }, 'invalid_quantity', /1 to 1000000/],
  ];

  it.each(cases)('rejects %s with a code and a message naming the field', async (_label, fields, code, message) => {
    const good = event();
    const bad = event(fields);
    const reply = await send({ events: [good, bad] });
    expect(reply.status).toBe(200);
    expect(reply.body.accepted).toBe(1);
    expect(reply.body.rejected).toEqual([
      {
        index: 1,
        event_id: typeof bad.event_id === 'string' ? bad.event_id.slice(0, 64) : null,
        code,
        message: expect.stringMatching(message),
      },
    ]);
  });

  it('rejects a non-object event', async () => {
    const reply = await send({ events: [event(), 'click', null] });
    expect(reply.body.accepted).toBe(1);
    expect((reply.body.rejected as { code: string }[]).map((r) => r.code)).toEqual(['not_an_object', 'not_an_object']);
  });
});

describe('POST /v1/events: refused requests', () => {
  it('400 for a body that is not JSON, not valid UTF-8, or has no events array', async () => {
    expect((await send(Buffer.from('{"events": ['))).body).toMatchObject({ code: 'invalid_json' });
    expect((await send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))).body).toMatchObject({ code: 'invalid_utf8' });
    const noArray = await send({ events: 'all' });
    expect(noArray.status).toBe(400);
    expect(noArray.body).toMatchObject({ code: 'missing_events' });
    expect((await send([event()])).status).toBe(400);
  });

  it('401 for a missing, wrong or unknown-app signature, each with its code', async () => {
    const body = Buffer.from(JSON.stringify({ events: [event()] }));
    const signed = signRequest('demo', 'demo-secret', 'POST', '/v1/events', body);
    const post = (headers: Record<string, string>) =>
      rawRequest('/v1/events', 'POST', { 'content-type': 'application/json', ...headers }, body);
    expect((await post({})).body).toMatchObject({ code: 'missing_credentials' });
    expect((await post({ 'x-mkt-signature': signed['x-mkt-signature'] })).body).toMatchObject({ code: 'missing_signature' });
    expect((await post({ ...signed, 'x-mkt-app-id': 'ghost' })).body).toMatchObject({ code: 'unknown_app' });
    expect((await post({ ...signed, 'x-mkt-signature': 'f'.repeat(64) })).body).toMatchObject({ code: 'bad_signature' });
    const tampered = Buffer.from(JSON.stringify({ events: [event({ price: 1 })] }));
    const r = await rawRequest('/v1/events', 'POST', { 'content-type': 'application/json', ...signed }, tampered);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: 'bad_signature' });
    expect((await post({ ...signed, 'x-mkt-nonce': 'short' })).body).toMatchObject({ code: 'bad_nonce' });
  });

  it('401 for a timestamp more than 5 minutes off, either way', async () => {
    for (const offset of [-301_000, 301_000]) {
      const reply = await postBatch({ baseUrl: h.baseUrl, clock: () => Date.now() + offset }, JSON.stringify({ events: [event()] }));
      expect(reply.status).toBe(401);
      expect(reply.body).toMatchObject({ code: 'stale_timestamp' });
    }
    const ok = await postBatch({ baseUrl: h.baseUrl, clock: () => Date.now() - 240_000 }, JSON.stringify({ events: [event()] }));
    expect(ok.status).toBe(200);
  });

  it('401 for a replayed nonce', async () => {
    const body = Buffer.from(JSON.stringify({ events: [event()] }));
    const headers = { 'content-type': 'application/json', ...signRequest('demo', 'demo-secret', 'POST', '/v1/events', body) };
    expect((await rawRequest('/v1/events', 'POST', headers, body)).status).toBe(200);
    const replay = await rawRequest('/v1/events', 'POST', headers, body);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ code: 'replayed_nonce' });
  });

  it('rejects alone an event nested thousands deep, storing the good events beside it', async () => {
    const nested = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const deep = `{"event_id":"deep","type":"click","user_id":"u1","ts":${Date.now()},"properties":{"a":${nested}}}`;
    const [before, after] = [event(), event()];
    const body = `{"events":[${JSON.stringify(before)},${deep},${JSON.stringify(after)}]}`;
    const reply = await send(Buffer.from(body));
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ accepted: 2, rejected: [{ index: 1, event_id: 'deep', code: 'invalid_properties' }] });
    expect((await stored()).map((e) => e.event_id)).toEqual([before.event_id, after.event_id]);
  });

  it('413 for a body over 1 MiB or more than 500 events', async () => {
    const big = await send({ events: [event({ properties: { a: 'x'.repeat(4000) } })], pad: 'y'.repeat(1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ code: 'too_large' });
    const many = await send({ events: Array.from({ length: 501 }, () => event()) });
    expect(many.status).toBe(413);
    expect(many.body).toMatchObject({ code: 'too_many_events' });
    expect((await send({ events: Array.from({ length: 500 }, () => event()) })).body).toMatchObject({ accepted: 500 });
  });

  it('415 for a body that is not declared as JSON', async () => {
    const reply = await send({ events: [event()] }, { 'content-type': 'text/plain' });
    expect(reply.status).toBe(415);
    expect(reply.body).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('429 with Retry-After when an app is over its rate limit', async () => {
    await h.close();
    h = await startIngest({ rateLimitPerMinute: 5 });
    expect((await send({ events: [event(), event(), event()] })).status).toBe(200);
    const over = await send({ events: [event(), event(), event()] });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ code: 'rate_limited' });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('503 with Retry-After when storage is down, and the retry then succeeds', async () => {
    await h.close();
    const down = new RedisEventLog({ url: 'redis://127.0.0.1:1', prefix: 'mkt-test:down:', commandTimeoutMs: 200 });
    h = await startIngest({ log: down });
    const e = event();
    const reply = await send({ events: [e] });
    expect(reply.status).toBe(503);
    expect(reply.body).toMatchObject({ code: 'event_log_unavailable' });
    expect(reply.headers['retry-after']).toBe('1');
    await h.close();
    h = await startIngest();
    expect((await send({ events: [e] })).body).toMatchObject({ accepted: 1, duplicates: 0 });
  });

  it('405 for other methods on /v1/events and 404 elsewhere', async () => {
    expect((await rawRequest('/v1/events', 'GET', {}, Buffer.alloc(0))).status).toBe(405);
    expect((await rawRequest('/v2/events', 'POST', {}, Buffer.alloc(0))).status).toBe(404);
  });
});

describe('what is acknowledged is what compaction writes, and nothing refused is stored', () => {
  const rawLog = async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-raw-'));
    try {
      const objects = new LocalObjectStore(dir, 'mkt-data');
      await flushEventLog({ log: h.log, objects, logger: createLogger({}, () => undefined) });
      const lines: RawEvent[] = [];
      for await (const o of listAll(objects, 'raw/')) lines.push(...decodeRawObject((await objects.get(o.key))!));
      return lines;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('takes a body that starts with a UTF-8 byte-order mark, and compaction writes its events', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ events: [event({ event_id: 'bom-1' })] }))]);
    expect((await send(body)).body).toMatchObject({ accepted: 1, rejected: [] });
    expect((await rawLog()).map((e) => e.event_id)).toEqual(['bom-1']);
  });

  it('refuses, before anything is stored, a purchase whose revenue would not be finite; the metrics stay readable', async () => {
    const reply = await send({
      events: [
        event({ event_id: 'huge', type: 'purchase', price: 1e308, quantity: 2 }),
        ...[1, 2].map((i) => event({ event_id: `big-${i}`, type: 'purchase', price: 1.7e308 })),
        event({ event_id: 'most', type: 'purchase', price: 1e9, quantity: 1e6 }),
      ],
    });
    expect({
      status: reply.status,
      accepted: reply.body.accepted,
      codes: (reply.body.rejected as { code: string }[]).map((r) => r.code),
    }).toEqual({ status: 200, accepted: 1, codes: ['invalid_price', 'invalid_price', 'invalid_price'] });
    expect((await rawLog()).map((e) => e.event_id)).toEqual(['most']);
    expect((await send({ events: [event({ event_id: 'huge', type: 'purchase', price: 9.9 })] })).body).toMatchObject({
      accepted: 1,
      duplicates: 0,
    });
    await fetch(h.baseUrl, { headers: { 'x-fc-control-path': '/pre-stop' } });
    const revenue = [...h.metrics.totals.values()].filter((d) => d.name === 'RevenueYuan').reduce((sum, d) => sum + d.value, 0);
    expect(revenue).toBe(1e15 + 9.9);
  });
});

describe('raw log lines', () => {
  it('are exactly what the signature covered plus server fields', async () => {
    const e = event({ properties: { 中文: '属性', n: 1 } });
    const body = JSON.stringify({ events: [e] });
    await send(JSON.parse(body));
    const [line] = await stored();
    expect(line).toEqual({ app_id: 'demo', ...e, event_time: expect.any(Number), received_at: expect.any(Number), client_ip: '127.0.0.1' });
    expect(signature('k', 'POST', '/v1/events', new URLSearchParams(), '1', 'n', body)).toMatch(/^[0-9a-f]{64}$/);
  });
});
