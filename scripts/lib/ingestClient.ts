/**
 * Ingest's clients (simulator, benchmarks, tests): a mini-program posts batches with the token
 * its backend got for it; the backend signs with the server secret, and asks for tokens.
 */
import http from 'node:http';
import { signRequest } from '#lib/auth';

export interface BatchReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: { accepted?: number; duplicates?: number; rejected?: unknown[]; code?: string; message?: string };
  ms: number;
}

export interface ClientOptions {
  /** e.g. http://127.0.0.1:9000/ingest */
  baseUrl: string;
  appId?: string;
  secret?: string;
  agent?: http.Agent;
  /** The client's clock, to sign with (defaults to Date.now). */
  clock?: () => number;
  /** A mini-program's token: sent instead of a server signature. */
  token?: string;
}

export function postBatch(
  o: ClientOptions,
  body: Buffer | string,
  extraHeaders: Record<string, string> = {},
  path = '/v1/events',
): Promise<BatchReply> {
  const url = new URL(`${o.baseUrl}${path}`);
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const now = (o.clock ?? Date.now)();
  const signed = o.token
    ? { authorization: `Bearer ${o.token}`, 'x-mkt-timestamp': String(now) }
    : signRequest(o.appId ?? 'demo', o.secret ?? 'demo-secret', 'POST', path, payload, now);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent: o.agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length, ...signed, ...extraHeaders },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: BatchReply['body'] = {};
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            parsed = { message: text };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, ms: performance.now() - started });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The merchant's backend asking for a mini-program token (server-signed). */
export async function requestToken(
  o: ClientOptions,
  subject: { user_id?: string; anonymous_id?: string; ttl_s?: number },
): Promise<string> {
  const reply = await postBatch({ ...o, token: undefined }, JSON.stringify(subject), {}, '/v1/tokens');
  const token = (reply.body as { token?: string }).token;
  if (reply.status !== 200 || !token) throw new Error(`token request failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return token;
}

/** Tokens for many users at once, as a backend hands them to its mini-programs at login. */
export async function requestTokens(o: ClientOptions, userIds: string[], concurrency = 16): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < userIds.length) {
        const userId = userIds[next++];
        tokens.set(userId, await requestToken(o, { user_id: userId }));
      }
    }),
  );
  return tokens;
}
