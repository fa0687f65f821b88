/**
 * The local runtime says it is ready only when every function is registered: while one is still
 * starting, /-/status answers 503 and a request to a function not yet there answers 503
 * `starting` (retry), never 404. One function's start is held back until the test lets it go.
 */
import net from 'node:net';
import path from 'node:path';
import { LocalFunction } from '../../scripts/local/localFunction';
import { LocalPlatform } from '../../scripts/local/platform';
import type { FunctionSpec } from '../../scripts/local/project';

const root = path.resolve(__dirname, '../..');

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** A registered function that answers every HTTP request with 200 and starts nothing. */
const standIn = (spec: FunctionSpec): LocalFunction =>
  Object.assign(Object.create(LocalFunction.prototype) as LocalFunction, {
    name: spec.props.functionName,
    spec,
    recent: [],
    handleHttp: async (_req: unknown, res: { end(body: string): void }) => res.end('ok'),
    stop: async () => undefined,
  });

const endpointBefore = process.env.MKT_FC_ENDPOINT;
beforeAll(() => expect(endpointBefore).toBeUndefined());

it('answers 503 until every function is registered, then 200 with all of them', async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const registered: string[] = [];
  const port = await freePort();
  const starting = LocalPlatform.start({
    root,
    port,
    timers: false,
    startFunction: async (_root, spec) => {
      if (spec.props.functionName === 'recommend') await held;
      registered.push(spec.props.functionName);
      return standIn(spec);
    },
  });
  const url = `http://127.0.0.1:${port}`;
  // Listening, and ingest (first in s.yaml) registered, while recommend is held back.
  for (;;) {
    const up = await fetch(`${url}/-/status`).catch(() => undefined);
    if (up && registered.includes('ingest')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const early = await fetch(`${url}/-/status`);
  expect({ status: early.status, ready: ((await early.json()) as { ready: boolean }).ready }).toEqual({ status: 503, ready: false });
  const tooSoon = await fetch(`${url}/recommend/health`);
  expect({ status: tooSoon.status, body: await tooSoon.json() }).toEqual({
    status: 503,
    body: { code: 'starting', message: expect.stringContaining('/-/status') },
  });
  expect((await fetch(`${url}/ingest/health`)).status).toBe(200);

  release();
  const platform = await starting;
  try {
    const ready = await fetch(`${url}/-/status`);
    const body = (await ready.json()) as { ready: boolean; functions: Array<{ name: string }> };
    expect({ status: ready.status, ready: body.ready, functions: body.functions.map((f) => f.name).sort() }).toEqual({
      status: 200,
      ready: true,
      functions: ['campaign', 'compact', 'ingest', 'recommend', 'sms-feedback', 'train'],
    });
    expect((await fetch(`${url}/recommend/health`)).status).toBe(200);
    expect((await fetch(`${url}/nothing-here/x`)).status).toBe(404);
  } finally {
    await platform.stop();
    delete process.env.MKT_FC_ENDPOINT; // the platform points its functions at itself
  }
});
