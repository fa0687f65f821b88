/**
 * The web glue under clients that misbehave: a slow client is cut off by the server's limits,
 * and a client that goes away, or a malformed request, is one JSON log line at its level
 * (no stack trace on stderr, no `error` with a 500).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { CA_PORT_LIMITS, createServer, listenOnCaPort } from '#lib/fc/customRuntime';
import { within } from '#lib/deadline';
import { createWebApp } from '#lib/fc/webApp';
import { readBody } from '#lib/fc/customRuntime';

/** Opens a raw connection, writes `chunks`, and resolves with what the server sent before closing, and when. */
function rawExchange(port: number, chunks: string[]): Promise<{ reply: string; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => chunks.forEach((c) => socket.write(c)));
    let reply = '';
    socket.on('data', (d) => (reply += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ reply, closedAfterMs: Date.now() - started }));
  });
}

describe('server limits', () => {
  const limits = { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 1000, maxConnections: 10 };

  it('answers 408 and closes a client whose body never finishes, and one whose headers never do', async () => {
    const server = createServer(
      limits,
      (req, res) =>
        void readBody(req, 1024).then(
          () => res.end('ok'),
          () => res.end(),
        ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const slowBody = await rawExchange(port, ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n', 'only a bit']);
    expect(slowBody.reply).toMatch(/^HTTP\/1\.1 408/);
    expect(slowBody.closedAfterMs).toBeLessThan(5000);
    const slowHeaders = await rawExchange(port, ['POST / HTTP/1.1\r\nHost: x\r\n']);
    expect(slowHeaders.reply).toMatch(/^HTTP\/1\.1 408/);
    server.close();
  });

  it('puts the CAPort under its limits', async () => {
    const previous = process.env.FC_CUSTOM_LISTEN_PORT;
    process.env.FC_CUSTOM_LISTEN_PORT = '39871';
    const server = listenOnCaPort((_req, res) => res.end());
    try {
      expect({
        headers: server.headersTimeout,
        request: server.requestTimeout,
        keepAlive: server.keepAliveTimeout,
        max: server.maxConnections,
      }).toEqual({
        headers: CA_PORT_LIMITS.headersTimeoutMs,
        request: CA_PORT_LIMITS.requestTimeoutMs,
        keepAlive: CA_PORT_LIMITS.keepAliveTimeoutMs,
        max: CA_PORT_LIMITS.maxConnections,
      });
    } finally {
      server.close();
      process.env.FC_CUSTOM_LISTEN_PORT = previous;
    }
  });
});

describe('logs of a web function', () => {
  it('logs a client that goes away mid-body as one info line, and writes nothing to stderr', async () => {
    const out: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => Boolean(out.push(String(chunk))));
    const stderr = jest.spyOn(process.stderr, 'write');
    const app = createWebApp({ name: 'probe', health: () => ({}) });
    let answered: () => void;
    const done = new Promise<void>((resolve) => (answered = resolve));
    app.use(async (ctx) => {
      try {
        ctx.body = (await readBody(ctx.req, 1024)).length;
      } finally {
        setImmediate(answered);
      }
    });
    const server = createServer(CA_PORT_LIMITS, app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npart');
      setTimeout(() => socket.destroy(), 50);
    });
    await within(done, 5000);
    await new Promise((r) => setTimeout(r, 20));
    server.close();
    stdout.mockRestore();
    const lines = out.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(lines.filter((l) => l.msg !== 'listening')).toEqual([
      expect.objectContaining({ level: 'info', msg: 'client closed the request' }),
    ]);
    expect(stderr).not.toHaveBeenCalled();
    stderr.mockRestore();
  });
});
