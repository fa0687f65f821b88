/** Runs the built local runtime (`node dist/local/start.js`) as its own process, as `npm start` does. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostClockEnv } from '../hostClock';

export interface RunningPlatform {
  url: string;
  dir: string;
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const root = path.resolve(__dirname, '../..');

/** Starts the platform on a free port with its own temp dir for local state. */
export async function startPlatform(
  env: Record<string, string> = {},
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-platform-')),
): Promise<RunningPlatform> {
  const child = spawn(process.execPath, [path.join(root, 'dist/local/start.js')], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      ...hostClockEnv(),
      PORT: '0',
      LOG_LEVEL: 'warn',
      LOCAL_OSS_DIR: path.join(dir, 'oss'),
      MKT_SMS_OUTBOX: path.join(dir, 'sms-outbox.jsonl'),
      MKT_JOURNAL_DIR: path.join(dir, 'journal'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform did not start:\n${output}`)), 20_000);
    child.stdout!.on('data', () => {
      const m = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`platform exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    dir,
    child,
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill(signal);
        await exited;
      }
    },
  };
}

export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
