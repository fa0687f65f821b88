/**
 * The custom-runtime side of the FC contract: FC starts our process, which listens on
 * the CAPort (FC_CUSTOM_LISTEN_PORT, default 9000, on 0.0.0.0), and sends
 * `POST /invoke` (events), `POST /initialize` and `GET /pre-stop` (lifecycle hooks)
 * and HTTP-trigger requests as they came, telling them apart by `x-fc-control-path`.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type RequestListener } from 'node:http';
import { AppError } from '#lib/errors';
import { log } from '#lib/log';
import type { EventHandler, FcContext, Initializer } from './types';

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Builds the FC context from the common headers FC adds to every custom-runtime request. */
export function contextFromHeaders(h: IncomingHttpHeaders): FcContext {
  // Only what this request carries: the environment holds the credentials of the instance's start,
  // which may be older than those of an earlier request (lib/cloud/credentials.ts keeps the latest).
  const accessKeyId = header(h, 'x-fc-access-key-id');
  const accessKeySecret = header(h, 'x-fc-access-key-secret');
  const securityToken = header(h, 'x-fc-security-token') || undefined;
  return {
    requestId: header(h, 'x-fc-request-id') ?? '',
    function: {
      name: header(h, 'x-fc-function-name') ?? process.env.FC_FUNCTION_NAME ?? '',
      handler: header(h, 'x-fc-function-handler'),
      memory: Number(header(h, 'x-fc-function-memory')) || undefined,
    },
    region: header(h, 'x-fc-region') ?? process.env.FC_REGION,
    accountId: header(h, 'x-fc-account-id') ?? process.env.FC_ACCOUNT_ID,
    credentials: accessKeyId && accessKeySecret ? { accessKeyId, accessKeySecret, securityToken } : undefined,
  };
}

/** Reads a request body into one Buffer, refusing more than `limit` bytes with a 413. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      req.resume();
      reject(new AppError(413, 'too_large', `body exceeds ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new AppError(413, 'too_large', `body exceeds ${limit} bytes`));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const MAX_EVENT_BYTES = 32 * 1024 * 1024; // FC's synchronous payload limit

/**
 * Serves an event handler over the custom-runtime protocol (used by functions that must
 * run in a custom container, such as GPU training). A handler error answers
 * `x-fc-status: 404`, which FC reports as a function error (and retries if async).
 */
export function eventFunctionListener(handler: EventHandler, initialize?: Initializer): RequestListener {
  return (req, res) => {
    const controlPath = header(req.headers, 'x-fc-control-path') ?? req.url ?? '';
    const context = contextFromHeaders(req.headers);
    const reply = (status: number, body: unknown, fcStatus?: number) => {
      const payload = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body ?? null));
      res.writeHead(status, { 'content-type': 'application/json', ...(fcStatus ? { 'x-fc-status': String(fcStatus) } : {}) });
      res.end(payload);
    };
    const fail = (err: unknown) => {
      const e = err instanceof AppError ? err : undefined;
      log.error('invocation failed', { requestId: context.requestId, err });
      reply(200, { errorCode: e?.code ?? 'internal', errorMessage: e?.expose ? e.message : 'internal error' }, 404);
    };
    if (controlPath.startsWith('/initialize')) {
      Promise.resolve(initialize?.(context)).then(() => reply(200, { ok: true }), fail);
    } else if (controlPath.startsWith('/pre-stop')) {
      reply(200, { ok: true });
    } else if (controlPath.startsWith('/invoke') && req.method === 'POST') {
      readBody(req, MAX_EVENT_BYTES)
        .then((event) => handler(event, context))
        .then((result) => reply(200, result), fail);
    } else {
      reply(404, { errorCode: 'not_found', errorMessage: `no route for ${req.method} ${controlPath}` });
    }
  };
}

export interface ServerLimits {
  /** From a request's first byte to its last header. */
  headersTimeoutMs: number;
  /** From a request's first byte to its last body byte. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection; longer than FC's front end keeps one, so it is never cut mid-reuse. */
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** The CAPort's limits: bodies are small (1 MiB at most) and FC's timeouts are 10 s, so a slow client is cut off early. */
export const CA_PORT_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 2048,
};

/** An HTTP server that closes slow or idle clients and caps its connections, so none can hold it. */
export function createServer(limits: ServerLimits, listener?: RequestListener): http.Server {
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often the limits above are checked (Node's default, 30 s, would let a slow client overstay).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    listener,
  );
  server.maxConnections = limits.maxConnections;
  return server;
}

/** Listens on the CAPort on all interfaces (127.0.0.1 alone makes FC report FunctionNotStarted). */
export function listenOnCaPort(listener: RequestListener): http.Server {
  const port = Number(process.env.FC_CUSTOM_LISTEN_PORT) || 9000;
  const server = createServer(CA_PORT_LIMITS, listener);
  server.listen(port, '0.0.0.0', () => log.info('listening', { port }));
  return server;
}
