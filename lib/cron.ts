/**
 * FC timer expressions: six fields, seconds first (`0 30 9 * * *`), UTC unless prefixed
 * with `CRON_TZ=<zone> `, or `@every <n>s|m|h`. Day-of-month and day-of-week combine like
 * robfig/cron: when both are restricted, either may match.
 */

export interface Schedule {
  /** True when the expression fires at this whole second. */
  matches(epochMs: number): boolean;
  readonly timeZone: string;
}

const NAMES: Record<string, number> = {
  JAN: 1,
  FEB: 2,
  MAR: 3,
  APR: 4,
  MAY: 5,
  JUN: 6,
  JUL: 7,
  AUG: 8,
  SEP: 9,
  OCT: 10,
  NOV: 11,
  DEC: 12,
  SUN: 0,
  MON: 1,
  TUE: 2,
  WED: 3,
  THU: 4,
  FRI: 5,
  SAT: 6,
};

const FIELDS = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

function parseValue(text: string, field: (typeof FIELDS)[number], expr: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NAMES[text.toUpperCase()];
  if (n === undefined || n < field.min || n > field.max) {
    throw new Error(`cron "${expr}": ${field.name} value "${text}" is outside ${field.min}-${field.max}`);
  }
  return n;
}

function parseField(text: string, field: (typeof FIELDS)[number], expr: string): Set<number> | 'any' {
  if (text === '*' || text === '?') return 'any';
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`cron "${expr}": bad step in "${part}"`);
    let lo: number, hi: number;
    if (range === '*') [lo, hi] = [field.min, field.max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-');
      [lo, hi] = [parseValue(a, field, expr), parseValue(b, field, expr)];
    } else {
      lo = parseValue(range, field, expr);
      hi = stepText === undefined ? lo : field.max;
    }
    if (lo > hi) throw new Error(`cron "${expr}": range "${range}" runs backwards`);
    for (let v = lo; v <= hi; v += step) values.add(field.name === 'day of week' && v === 7 ? 0 : v);
  }
  return values;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function fieldsAt(ms: number, timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return [Number(p.second), Number(p.minute), Number(p.hour), Number(p.day), Number(p.month), NAMES[p.weekday.toUpperCase()]];
}

export function parseCron(expression: string): Schedule {
  let expr = expression.trim();
  let timeZone = 'UTC';
  const tz = /^CRON_TZ=(\S+)\s+(.*)$/.exec(expr);
  if (tz) {
    timeZone = tz[1];
    expr = tz[2];
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      throw new Error(`cron "${expression}": unknown time zone ${timeZone}`);
    }
  }
  const every = /^@every\s+(\d+)([smh])$/.exec(expr);
  if (every) {
    const periodS = Number(every[1]) * { s: 1, m: 60, h: 3600 }[every[2] as 's' | 'm' | 'h'];
    if (periodS < 1) throw new Error(`cron "${expression}": period must be positive`);
    return { timeZone, matches: (ms) => Math.floor(ms / 1000) % periodS === 0 };
  }
  const parts = expr.split(/\s+/);
  if (parts.length !== 6) throw new Error(`cron "${expression}": FC needs 6 fields (seconds first), got ${parts.length}`);
  const sets = parts.map((p, i) => parseField(p, FIELDS[i], expression));
  const has = (i: number, v: number) => sets[i] === 'any' || (sets[i] as Set<number>).has(v);
  return {
    timeZone,
    matches(ms) {
      const [s, mi, h, dom, mon, dow] = fieldsAt(ms, timeZone);
      if (!has(0, s) || !has(1, mi) || !has(2, h) || !has(4, mon)) return false;
      if (sets[3] !== 'any' && sets[5] !== 'any') return has(3, dom) || has(5, dow);
      return has(3, dom) && has(5, dow);
    },
  };
}
