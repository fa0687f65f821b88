/** Fuzzed bodies (signed, so they reach the parser and validator) never get a 5xx or crash ingest. */
import { seededRandom } from '#lib/random';
import { postBatch } from '../../scripts/lib/ingestClient';
import { event, startIngest, type IngestHarness } from './harness';

function generator(rand: () => number) {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const str = (max: number) =>
    Array.from({ length: Math.floor(rand() * max) }, () => String.fromCharCode(Math.floor(rand() * 0xd7ff))).join('');
  const value = (depth: number): unknown => {
    const kinds = depth > 3 ? ['null', 'bool', 'num', 'str'] : ['null', 'bool', 'num', 'str', 'arr', 'obj'];
    switch (pick(kinds)) {
      case 'null':
        return null;
      case 'bool':
        return rand() < 0.5;
      case 'num':
        return pick([0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, Date.now(), Math.floor(rand() * 1e6)]);
      case 'str':
        return str(40);
      case 'arr':
        return Array.from({ length: Math.floor(rand() * 5) }, () => value(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: Math.floor(rand() * 5) }, () => [
            pick(['event_id', 'type', 'user_id', 'ts', 'item_ids', 'properties', 'context', 'price', str(8)]),
            value(depth + 1),
          ]),
        );
    }
  };
  const mutatedEvent = () => {
    const e: Record<string, unknown> = event();
    const field = pick(Object.keys(e).concat(['item_ids', 'quantity', 'price', 'properties', '__proto__', 'constructor']));
    e[field] = value(1);
    return e;
  };
  const bodies: Array<() => Buffer> = [
    () => Buffer.from(JSON.stringify(value(0))),
    () =>
      Buffer.from(
        JSON.stringify({ events: Array.from({ length: Math.floor(rand() * 30) }, () => (rand() < 0.7 ? mutatedEvent() : value(1))) }),
      ),
    () => Buffer.from(JSON.stringify({ events: [event({ user_id: 'x'.repeat(Math.floor(rand() * 900_000)) })] })),
    () => Buffer.from('['.repeat(1 + Math.floor(rand() * 200_000)) + ']'.repeat(Math.floor(rand() * 10))),
    () => Buffer.from(`{"events":${'['.repeat(5000)}${']'.repeat(5000)}}`),
    () =>
      Buffer.from(`{"events":[${JSON.stringify({ ...event(), properties: JSON.parse(`${'{"a":'.repeat(500)}1${'}'.repeat(500)}`) })}]}`),
    () => Buffer.from(Array.from({ length: Math.floor(rand() * 2000) }, () => Math.floor(rand() * 256))),
    () =>
      Buffer.concat([
        Buffer.from('{"events":[{"event_id":"'),
        Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]),
        Buffer.from('"}]}'),
      ]),
    () => Buffer.from(JSON.stringify({ events: [{ ...event(), __proto__: { polluted: true } }], constructor: { prototype: { x: 1 } } })),
    () => Buffer.from(''),
  ];
  return () => pick(bodies)();
}

let h: IngestHarness;
beforeAll(async () => {
  h = await startIngest();
});
afterAll(() => h.close());

describe('ingest fuzzing', () => {
  it('answers 2xx or 4xx to 400 fuzzed bodies, and still works afterwards', async () => {
    const next = generator(seededRandom(20261121));
    const statuses = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const body = next();
      const reply = await postBatch({ baseUrl: h.baseUrl }, body);
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      if (reply.status >= 500) throw new Error(`case ${i} got ${reply.status}: ${body.subarray(0, 200).toString('latin1')}`);
    }
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const ok = await postBatch({ baseUrl: h.baseUrl }, JSON.stringify({ events: [event()] }));
    expect(ok.body).toMatchObject({ accepted: 1 });
  });
});
