/**
 * Property-based, seeded: ingest and recommend driven with hostile bodies, queries and headers
 * (forged, foreign and garbage credentials; deep, huge and malformed JSON; bad encodings) never
 * answer a 5xx, and every event ingest acknowledged is in the event log.
 */
import fc from 'fast-check';
import http from 'node:http';
import { signRequest, type Authenticator } from '#lib/auth';
import { MemoryFeatureStore } from '#lib/featureStore/memoryStore';
import { rawEventsOf } from '#lib/events/rawLog';
import { startIngest, type IngestHarness } from '../ingest/harness';
import { startRecommend, type RecommendHarness } from '../recommend/harness';

const RUNS = 1500;
const SEED = 20261130;

let ingest: IngestHarness;
let recommend: RecommendHarness;
let tokens: Record<'self' | 'other', string>;

beforeAll(async () => {
  const features = new MemoryFeatureStore();
  ingest = await startIngest({ features, secrets: { demo: ['demo-secret'] } });
  recommend = await startRecommend({ features, secrets: { demo: ['demo-secret'] } });
  const issue = (auth: Authenticator, userId: string) => auth.issue('demo', { userId, anonymousId: `${userId}-phone` }, 3600).token;
  tokens = { self: issue(recommend.auth, 'u1'), other: issue(recommend.auth, 'u2') };
});
afterAll(async () => {
  await ingest.close();
  await recommend.close();
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
function send(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; text: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path, headers: { ...headers, 'content-length': String(body.length) }, agent },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const nested = (open: string, close: string) => fc.integer({ min: 1, max: 6000 }).map((d) => `${open.repeat(d)}1${close.repeat(d)}`);
const hostileValue = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.string({ maxLength: 300 }));
/** Deep nesting stays text until the server parses it (a parsed value that deep would overflow the generator's own recursion). */
const deepText = fc.oneof(nested('[', ']'), nested('{"a":', '}'));

/** Mostly what the contract takes, sometimes anything: so batches mix good events with bad ones. */
const usually = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>): fc.Arbitrary<T | U> =>
  fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: bad });

const hostileEvent = fc
  .record(
    {
      event_id: usually(fc.uuid(), fc.oneof(fc.string({ maxLength: 70 }), fc.integer())),
      type: usually(fc.constantFrom('click', 'purchase', 'exposure', 'x_coupon'), fc.oneof(fc.constantFrom('x_', 'CLICK'), fc.string())),
      user_id: usually(fc.constantFrom('u1', 'u2', 'u3'), fc.oneof(fc.constant(null), fc.string({ maxLength: 140 }))),
      anonymous_id: fc.constantFrom('u1-phone', 'u2-phone', 'elsewhere', null),
      ts: usually(fc.constant(Date.now()), fc.oneof(fc.integer(), fc.double())),
      item_id: usually(fc.constant('sku-1'), fc.string({ maxLength: 140 })),
      item_ids: hostileValue,
      price: usually(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.oneof(fc.double(), fc.constant('9.9'))),
      quantity: usually(fc.integer({ min: 1, max: 9 }), fc.integer()),
      properties: usually(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), hostileValue),
      context: usually(fc.record({ platform: fc.constantFrom('wechat', 'alipay') }), hostileValue),
    },
    { requiredKeys: ['event_id', 'type', 'ts'] },
  )
  .chain((event) =>
    usually(
      fc.constant(event),
      fc
        .record({ key: fc.constantFrom('__proto__', 'constructor', 'extra'), value: hostileValue })
        .map(({ key, value }) => ({ ...event, [key]: value })),
    ),
  );

const deepEvent = (deep: string) => `{"event_id":"deep","type":"click","user_id":"u1","ts":1,"properties":{"p":${deep}}}`;
const withDeepEvent = (events: unknown[], deep: string | null) =>
  deep === null ? JSON.stringify({ events }) : `{"events":[${[...events.map((e) => JSON.stringify(e)), deepEvent(deep)].join(',')}]}`;

const body = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.array(hostileEvent, { maxLength: 20 }), fc.option(deepText, { freq: 4 }))
      .map(([events, deep]) => Buffer.from(withDeepEvent(events, deep))),
  },
  { weight: 1, arbitrary: deepText.map((t) => Buffer.from(`{"events":${t}}`)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: hostileValue.map((v) => Buffer.from(JSON.stringify(v) ?? '')) },
);

const query = fc.oneof(
  fc
    .array(
      fc.tuple(
        fc.constantFrom('user_id', 'anonymous_id', 'n', 'exclude', 'candidates', 'recent', 'scene', '__proto__', 'x'),
        fc.oneof(fc.constantFrom('u1', 'u2', 'u1-phone', '0', '101', '10', 'a,b,,c'), fc.string({ maxLength: 200 })),
      ),
      { maxLength: 6 },
    )
    .map((pairs) => new URLSearchParams(pairs).toString()),
  fc.constantFrom('%zz', 'user_id=%E0%A4%A', 'n=1&n=2', `exclude=${'x,'.repeat(600)}`, '&&&=', 'user_id=u1#frag'),
);

const auth = usually(
  fc.constantFrom('server', 'token-self'),
  fc.constantFrom('token-other', 'tampered', 'garbage-bearer', 'none', 'stale'),
);

/** The credentials of one hostile request: right, wrong, foreign or missing. */
function credentials(mode: string, method: string, url: string, payload: Buffer, junk: string): Record<string, string> {
  const signed = () => ({ ...signRequest('demo', 'demo-secret', method, url, payload) });
  switch (mode) {
    case 'server':
      return signed();
    case 'token-self':
      return { authorization: `Bearer ${tokens.self}` };
    case 'token-other':
      return { authorization: `Bearer ${tokens.other}` };
    case 'tampered':
      return { ...signed(), 'x-mkt-signature': 'a'.repeat(64) };
    case 'garbage-bearer':
      return { authorization: `Bearer ${junk}` };
    case 'stale':
      return { ...signRequest('demo', 'demo-secret', method, url, payload, Date.now() - 3_600_000) };
    default:
      return {};
  }
}

const extraHeaders = fc.record(
  {
    'content-type': usually(
      fc.constant('application/json'),
      fc.constantFrom('text/plain', 'application/json; charset=utf-16', 'application/*', ''),
    ),
    'x-mkt-timestamp': printable,
    'x-forwarded-for': printable,
    'x-mkt-app-id': fc.constantFrom('demo', 'ghost', '__proto__'),
  },
  { requiredKeys: [] },
);

describe('hostile traffic', () => {
  it(`ingest: ${RUNS} seeded cases, never a 5xx, and every acknowledged event is in the event log`, async () => {
    const acknowledged = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        body,
        query,
        auth,
        extraHeaders,
        printable,
        usually(fc.constant('/v1/events'), fc.constantFrom('/v1/tokens', '/v1/events/', '/%2e%2e/v1/events')),
        async (payload, q, mode, extra, junk, path) => {
          const url = q ? `${path}?${q}` : path;
          const headers = { ...extra, ...credentials(mode, 'POST', url, payload, junk) };
          if (extra['x-mkt-app-id'] && mode !== 'server') headers['x-mkt-app-id'] = extra['x-mkt-app-id'];
          const reply = await send(ingest.baseUrl, 'POST', url, headers, payload);
          if (reply.status >= 500) throw new Error(`${reply.status} ${reply.text}`);
          if (reply.status === 200 && path === '/v1/events') {
            const { rejected } = JSON.parse(reply.text) as { rejected: { index: number }[] };
            const refused = new Set(rejected.map((r) => r.index));
            const { events } = JSON.parse(payload.toString()) as { events: { event_id: string }[] };
            events.forEach((e, i) => !refused.has(i) && acknowledged.add(e.event_id));
          }
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    const inLog = new Set((await ingest.log.pending(100_000)).flatMap((e) => rawEventsOf(e.record, e.duplicate)).map((e) => e.event_id));
    expect(acknowledged.size).toBeGreaterThan(20);
    expect([...acknowledged].filter((id) => !inLog.has(id))).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`recommend: ${RUNS} seeded cases, never a 5xx`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST'),
        query,
        body,
        auth,
        extraHeaders,
        printable,
        async (method, q, payload, mode, extra, junk) => {
          const url = q ? `/v1/recommend?${q}` : '/v1/recommend';
          const sent = method === 'GET' ? Buffer.alloc(0) : payload;
          const reply = await send(recommend.baseUrl, method, url, { ...extra, ...credentials(mode, method, url, sent, junk) }, sent);
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          if (reply.status >= 500) throw new Error(`${reply.status} ${reply.text}`);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    expect(Object.fromEntries(statuses)).toMatchObject({ 200: expect.any(Number), 401: expect.any(Number), 403: expect.any(Number) });
  });
});
