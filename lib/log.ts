/**
 * One structured logger: JSON lines carrying the function and FC request id. Every
 * string that looks like a mainland mobile number is masked before it is written.
 */
import { config } from './config';

type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const STACK_FRAMES = 8;
const mobile = /(?<!\d)(\+?86[- ]?)?(1[3-9]\d)\d{4}(\d{4})(?!\d)/g;

/** `13812345678` → `138****5678`; keeps the country code if present. */
export function maskPhones(text: string): string {
  return text.replace(mobile, (_m, cc: string | undefined, head: string, tail: string) => `${cc ?? ''}${head}****${tail}`);
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export type LogSink = (line: string) => void;

function serialiseError(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const { name, message } = value;
  const { code, status } = value as { code?: unknown; status?: unknown };
  // A client's mistake (a 4xx) needs no trace; anything else keeps where it happened (in TypeScript, with source maps).
  const expected = typeof status === 'number' && status < 500;
  const stack = expected
    ? undefined
    : value.stack
        ?.split('\n')
        .slice(1, 1 + STACK_FRAMES)
        .map((l) => l.trim());
  return { name, message, ...(code === undefined ? {} : { code }), ...(stack ? { stack } : {}) };
}

/**
 * LOG_LEVEL, read through the configuration when the first line is written; `info` while the
 * configuration is invalid (its loader reports that).
 */
let configured: Level | undefined;
function configuredLevel(): Level {
  if (configured === undefined) {
    try {
      configured = config().logLevel;
    } catch {
      return 'info';
    }
  }
  return configured;
}

/** Creates a logger; `sink` defaults to stdout, `level` to LOG_LEVEL. */
export function createLogger(
  bound: Record<string, unknown> = {},
  sink: LogSink = (line) => process.stdout.write(`${line}\n`),
  level?: Level,
): Logger {
  const write = (lvl: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (rank[lvl] < rank[level ?? configuredLevel()]) return;
    const record = { time: new Date().toISOString(), level: lvl, msg, ...bound, ...fields };
    sink(maskPhones(JSON.stringify(record, (_k, v) => serialiseError(v))));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...bound, ...fields }, sink, level),
  };
}

export const log = createLogger();
