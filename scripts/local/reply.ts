/** How the local runtime's own endpoints answer: pretty JSON, and a client's error as its status. */
import type { ServerResponse } from 'node:http';
import { AppError } from '#lib/errors';
import { log } from '#lib/log';

const logger = log.child({ component: 'local-runtime' });

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, null, 2));
}

export function fail(res: ServerResponse, err: unknown): void {
  if (err instanceof AppError && err.status < 500) {
    json(res, err.status, { code: err.code, message: err.message });
    return;
  }
  logger.error('local runtime error', { err });
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code: 'local_runtime_error', message: (err as Error).message }));
}
