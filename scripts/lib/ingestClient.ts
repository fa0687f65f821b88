/** A mini-program's view of ingest: signs a batch and posts it (simulator, benchmark, tests). */
import http from 'node:http';
import { signRequest } from '../../lib/appAuth';

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
}

export function postBatch(o: ClientOptions, body: Buffer | string, extraHeaders: Record<string, string> = {}): Promise<BatchReply> {
  const url = new URL(`${o.baseUrl}/v1/events`);
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const signed = signRequest(o.appId ?? 'demo', o.secret ?? 'demo-secret', 'POST', '/v1/events', payload, (o.clock ?? Date.now)());
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
