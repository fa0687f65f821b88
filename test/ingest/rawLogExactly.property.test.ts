/**
 * Property-based, seeded: signed batches built at the byte level (a UTF-8 byte-order mark, bytes
 * that are not UTF-8, escaped lone surrogates in every string field, numbers at and past the
 * edges, ids sent again) go through ingest's HTTP app onto the real Redis event log; compaction
 * then expands the log into the raw log. The raw log must hold exactly what was acknowledged:
 * every event a 200 did not reject, once, as sent, and nothing a request or a rejection refused.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signRequest } from '#lib/auth';
import { RedisEventLog } from '#lib/eventLog/redisLog';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { listAll } from '#lib/objectStore/port';
import { decodeRawObject } from '#lib/events/rawLog';
import { UNREADABLE_RECORDS_PREFIX } from '#lib/objectStore/keys';
import { flushEventLog } from '../../functions/compact/flush';
import { onTestPrefix } from '../contract/redisTestPrefix';
import { startIngest, type IngestHarness } from './harness';

const RUNS = 5000;
const SEED = 20261208;
const NOW = Date.now();

const redisLog = onTestPrefix((url, prefix) => new RedisEventLog({ url, prefix }));
let ingest: IngestHarness;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-rawlog-'));
  ingest = await startIngest({ log: redisLog.adapter, secrets: { demo: ['demo-secret'] } });
});
afterAll(async () => {
  await redisLog.teardown();
  await ingest.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Text that JSON.stringify writes as it is, or escapes (`\ud800`, a lone surrogate, is escaped). */
const oddText = fc.oneof(
  { weight: 10, arbitrary: fc.constant('') },
  fc.constantFrom('é', '中文', '😀', '\ud800', '\udfff', 'a\udc00', '\ud83d', '\u0000', '\ufeff', '"', '\\', '\u2028'),
);
/** Number literals as written in the body: ordinary, at the contract's edges, and past what a double holds. */
const numberText = (ordinary: string[]) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...ordinary) },
    fc.constantFrom(
      '1e308',
      '1.7e308',
      '1e400',
      '-1e400',
      '-0',
      '0',
      '-1',
      '1.5',
      '5e-324',
      '1e9',
      '1000000001',
      '1e6',
      '1000001',
      '9007199254740993',
      '253402300799999',
      '253402300800000',
      '8640000000000001',
    ),
  );

let sequence = 0;
const eventText = fc
  .record({
    reuse: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, fc.integer({ min: 0, max: 30 })),
    idTail: oddText,
    type: fc.oneof({ weight: 12, arbitrary: fc.constantFrom('click', 'purchase', 'exposure') }, fc.constant('bogus')),
    user: fc.tuple(fc.constantFrom('u1', 'u2'), oddText),
    ts: numberText([String(NOW - 1000), String(NOW - 60_000)]),
    price: fc.option(numberText(['9.9', '199', '0']), { nil: undefined }),
    quantity: fc.option(numberText(['1', '2', '3']), { nil: undefined }),
    item: fc.tuple(fc.constantFrom('sku-1', 'sku-2'), oddText),
    note: fc.option(oddText, { nil: undefined }),
    page: fc.option(oddText, { nil: undefined }),
  })
  .map((e) => {
    const id = (e.reuse === null ? `e${++sequence}` : `again-${e.reuse}`) + e.idTail;
    const fields: [string, string][] = [
      ['event_id', JSON.stringify(id)],
      ['type', JSON.stringify(e.type)],
      ['user_id', JSON.stringify(e.user.join(''))],
      ['ts', e.ts],
      ['item_id', JSON.stringify(e.item.join(''))],
    ];
    if (e.type === 'exposure') fields.push(['item_ids', JSON.stringify([e.item.join(''), 'sku-3'])]);
    if (e.price !== undefined) fields.push(['price', e.price]);
    if (e.quantity !== undefined) fields.push(['quantity', e.quantity]);
    if (e.note !== undefined) fields.push(['properties', JSON.stringify({ note: e.note, [`k${e.note}`]: 1 })]);
    if (e.page !== undefined) fields.push(['context', JSON.stringify({ platform: 'wechat', page: e.page })]);
    return `{${fields.map(([k, v]) => `"${k}":${v}`).join(',')}}`;
  });

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Byte sequences no UTF-8 decoder may take: a stray byte, an overlong '/', an encoded surrogate, a cut-off sequence. */
const NOT_UTF8 = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]].map((b) => Buffer.from(b));

type Framing = { kind: 'plain' | 'bom' | 'double-bom' | 'spaces' | 'utf16' } | { kind: 'not-utf8'; bytes: number; at: number };
const framing: fc.Arbitrary<Framing> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'plain' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'bom' as const }) },
  fc.constantFrom({ kind: 'double-bom' as const }, { kind: 'spaces' as const }, { kind: 'utf16' as const }),
  fc.record({ kind: fc.constant('not-utf8' as const), bytes: fc.nat(NOT_UTF8.length - 1), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
);

function bodyOf(events: string[], f: Framing): Buffer {
  const text = Buffer.from(`{"events":[${events.join(',')}]}`);
  switch (f.kind) {
    case 'bom':
      return Buffer.concat([BOM, text]);
    case 'double-bom':
      return Buffer.concat([BOM, BOM, text]);
    case 'spaces':
      return Buffer.concat([Buffer.from(' \n\t'), text, Buffer.from('\r\n ')]);
    case 'utf16':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.toString('utf8'), 'utf16le')]);
    case 'not-utf8': {
      const at = Math.floor(f.at * text.length);
      return Buffer.concat([text.subarray(0, at), NOT_UTF8[f.bytes], text.subarray(at)]);
    }
    default:
      return text;
  }
}

/** A stored or sent event as JSON would round-trip it (-0 is 0), less the fields the server adds. */
const clientFields = (event: Record<string, unknown>) => {
  const { app_id: _app, event_time: _t, received_at: _r, client_ip: _ip, ...rest } = event;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
};

it(`the raw log holds exactly the acknowledged events, once each, whatever the bytes (${RUNS} seeded cases)`, async () => {
  const acknowledged = new Map<string, Record<string, unknown>>();
  const statuses: Record<number, number> = {};
  const codes: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(fc.array(eventText, { minLength: 1, maxLength: 4 }), framing, async (events, f) => {
      const body = bodyOf(events, f);
      const reply = await fetch(`${ingest.baseUrl}/v1/events`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...signRequest('demo', 'demo-secret', 'POST', '/v1/events', body) },
      });
      statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
      const answer = (await reply.json()) as { accepted: number; duplicates: number; rejected: { index: number }[] };
      if (reply.status >= 500) throw new Error(`${reply.status} ${JSON.stringify(answer)}`);
      if (reply.status !== 200) return;
      const refused = new Set(answer.rejected.map((r) => r.index));
      for (const r of answer.rejected as unknown as { code: string }[]) codes[r.code] = (codes[r.code] ?? 0) + 1;
      expect(answer.accepted + answer.duplicates).toBe(events.length - refused.size);
      events.forEach((text, i) => {
        if (refused.has(i)) return;
        const event = JSON.parse(text) as Record<string, unknown>;
        const id = event.event_id as string;
        if (!acknowledged.has(id)) acknowledged.set(id, clientFields(event));
      });
    }),
    { numRuns: RUNS, seed: SEED },
  );

  const objects = new LocalObjectStore(path.join(dir, 'oss'), 'mkt-data');
  await flushEventLog({ log: ingest.log, objects, logger: createLogger({}, () => undefined) });
  const stored: Record<string, unknown>[] = [];
  for await (const o of listAll(objects, 'raw/events/'))
    stored.push(...(decodeRawObject((await objects.get(o.key))!) as unknown as Record<string, unknown>[]));
  const times = new Map<string, number>();
  for (const e of stored) times.set(e.event_id as string, (times.get(e.event_id as string) ?? 0) + 1);

  expect([...acknowledged.keys()].filter((id) => times.get(id) !== 1)).toEqual([]);
  expect(stored.filter((e) => !acknowledged.has(e.event_id as string)).map((e) => e.event_id)).toEqual([]);
  expect(stored.filter((e) => JSON.stringify(clientFields(e)) !== JSON.stringify(acknowledged.get(e.event_id as string)))).toEqual([]);
  const setAside: string[] = [];
  for await (const o of listAll(objects, UNREADABLE_RECORDS_PREFIX)) setAside.push(o.key);
  expect(setAside).toEqual([]);
  // The cases reached what they are for: whole requests refused, batches taken, each edge refused alone.
  expect(statuses).toMatchObject({ 200: expect.any(Number), 400: expect.any(Number) });
  expect(acknowledged.size).toBeGreaterThan(RUNS / 2);
  expect(Object.keys(codes)).toEqual(
    expect.arrayContaining(['invalid_event_id', 'invalid_user_id', 'invalid_ts', 'invalid_price', 'invalid_quantity', 'invalid_context']),
  );
}, 300_000);
