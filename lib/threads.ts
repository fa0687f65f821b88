import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker thread `<name>.thread` beside the calling module: the bundled `.js` in a
 * build, else the `.ts` source through tsx's require hook (tests and scripts).
 */
export function startThread(dir: string, name: string, options: WorkerOptions = {}): Worker {
  const js = path.join(dir, `${name}.thread.js`);
  if (existsSync(js)) return new Worker(js, options);
  const ts = path.join(dir, `${name}.thread.ts`);
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(ts)});`, { ...options, eval: true });
}
