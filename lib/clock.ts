import { config } from './config';

let offsetMs: number | undefined;

/**
 * The platform's clock in epoch ms. `MKT_NOW` sets it to that instant when the process
 * starts; from there it runs forward in real time, so timers still fire on schedule.
 */
export function now(): number {
  if (offsetMs === undefined) {
    const pinned = config().now;
    offsetMs = pinned === undefined ? 0 : pinned - Date.now();
  }
  return Date.now() + offsetMs;
}

/** Asia/Shanghai, the platform's business time zone: UTC+8 all year, no daylight saving. */
export const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** Date (YYYY-MM-DD) and hour (HH) of an instant in Asia/Shanghai, the platform's business time zone. */
export function shanghaiDateHour(ms: number): { date: string; hour: string } {
  const iso = new Date(ms + SHANGHAI_OFFSET_MS).toISOString();
  return { date: iso.slice(0, 10), hour: iso.slice(11, 13) };
}
