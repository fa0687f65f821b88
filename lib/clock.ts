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

const shanghai = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  hourCycle: 'h23',
});

/** Date (YYYY-MM-DD) and hour (HH) of an instant in Asia/Shanghai, the platform's business time zone. */
export function shanghaiDateHour(ms: number): { date: string; hour: string } {
  const parts = Object.fromEntries(shanghai.formatToParts(ms).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: parts.hour };
}
