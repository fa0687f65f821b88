/**
 * Reads the alarm rules file (ops/alarms.yaml) into typed rules, refusing a malformed one with
 * every problem named by rule id and field.
 */
import { parse } from 'yaml';

export const LEVELS = ['CRITICAL', 'WARN', 'INFO'] as const;
export type Level = (typeof LEVELS)[number];

/** CloudMonitor's comparison operators and the symbol PutCustomMetricRule takes for each (none: compare with an earlier value). */
export const OPERATORS = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '>=',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '<=',
  EqualToThreshold: '=',
  NotEqualToThreshold: '!=',
  GreaterThanYesterday: undefined,
  LessThanYesterday: undefined,
} as const;
export type Operator = keyof typeof OPERATORS;

export const STATISTICS = ['Average', 'Maximum', 'Minimum', 'Sum', 'SampleCount'] as const;

interface RuleBase {
  id: string;
  name: string;
  metricName: string;
  statistics: string;
  period: number;
  operator: Operator;
  threshold: number;
  times: number;
  level: Level;
  /** A role of `contactGroups`. */
  notify: string;
  /** Set while the platform does not send the metric yet: what has to be added. */
  pending?: string;
}

/** A rule on one of Function Compute's own metrics, one resource per function. */
export interface FcRule extends RuleBase {
  namespace: 'acs_fc';
  functions: string[];
}

/** A rule on a custom metric the platform reports, one resource per dimension set (`{}`: sent without dimensions). */
export interface CustomRule extends RuleBase {
  namespace: 'custom';
  dimensions: Record<string, string>[];
}

export type AlarmRule = FcRule | CustomRule;

export interface AlarmFile {
  /** role → the environment variable holding its contact group names */
  contactGroups: Record<string, string>;
  rules: AlarmRule[];
}

type Fields = Record<string, unknown>;
const isMap = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
const RULE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

export function parseAlarmFile(text: string, file: string): AlarmFile {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${file}: not YAML: ${(err as Error).message}`);
  }
  if (!isMap(doc)) throw new Error(`${file}: must be a mapping with contactGroups and rules`);

  const contactGroups: Record<string, string> = {};
  if (!isMap(doc.contactGroups)) problems.push('contactGroups: must map each role to an environment variable name');
  else
    for (const [role, variable] of Object.entries(doc.contactGroups)) {
      if (typeof variable === 'string' && ENV_NAME.test(variable)) contactGroups[role] = variable;
      else problems.push(`contactGroups.${role}: must be an environment variable name (A-Z, 0-9, _)`);
    }

  const rules: AlarmRule[] = [];
  if (!Array.isArray(doc.rules) || doc.rules.length === 0) problems.push('rules: must be a list of rules');
  else
    doc.rules.forEach((raw: unknown, i: number) => {
      const rule = readRule(raw, `rules[${i}]`, contactGroups, problems);
      if (rule && rules.some((r) => r.id === rule.id)) problems.push(`rules[${i}] ${rule.id}: repeats an id`);
      else if (rule) rules.push(rule);
    });

  if (problems.length > 0) throw new Error(`${file}: ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
  return { contactGroups, rules };
}

function readRule(raw: unknown, at: string, contactGroups: Record<string, string>, problems: string[]): AlarmRule | undefined {
  if (!isMap(raw)) return void problems.push(`${at}: must be a mapping`);
  const where = typeof raw.id === 'string' ? `${at} ${raw.id}` : at;
  const before = problems.length;
  const fail = (field: string, message: string) => void problems.push(`${where}.${field}: ${message}`);

  const text = (field: string, pattern?: RegExp) => {
    const v = raw[field];
    if (typeof v === 'string' && v.trim() && (!pattern || pattern.test(v))) return v;
    fail(field, pattern ? `must match ${pattern}` : 'must be text');
    return '';
  };
  const number = (field: string, check: (n: number) => boolean, what: string) => {
    const v = raw[field];
    if (typeof v === 'number' && check(v)) return v;
    fail(field, `must be ${what}`);
    return 0;
  };
  const oneOf = <T extends string>(field: string, choices: readonly T[]) => {
    const v = raw[field];
    if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
    fail(field, `must be one of ${choices.join(', ')}`);
    return choices[0];
  };

  const id = text('id', RULE_ID);
  const name = text('name');
  const statistics = oneOf('statistics', STATISTICS);
  const period = number('period', (n) => Number.isInteger(n) && n >= 60 && n % 60 === 0, 'whole minutes in seconds (60, 300, 3600 …)');
  const operator = oneOf('operator', Object.keys(OPERATORS) as Operator[]);
  const threshold = number('threshold', Number.isFinite, 'a number');
  const times = number('times', (n) => Number.isInteger(n) && n >= 1, 'a whole number of periods, 1 or more');
  const level = oneOf('level', LEVELS);
  const notify = text('notify');
  if (notify && !(notify in contactGroups))
    fail('notify', `"${notify}" is not a role of contactGroups (${Object.keys(contactGroups).join(', ')})`);
  const pending = raw.pending === undefined ? undefined : text('pending');

  const metric = raw.metric;
  if (!isMap(metric)) return void fail('metric', 'must be a mapping: namespace, name, and functions (acs_fc) or dimensions (custom)');
  const metricName =
    typeof metric.name === 'string' && METRIC_NAME.test(metric.name) ? metric.name : (fail('metric.name', `must match ${METRIC_NAME}`), '');
  const base = { id, name, metricName, statistics, period, operator, threshold, times, level, notify, ...(pending ? { pending } : {}) };

  if (metric.namespace === 'acs_fc') {
    const functions = metric.functions;
    if (!Array.isArray(functions) || functions.length === 0 || !functions.every((f) => typeof f === 'string' && f))
      fail('metric.functions', 'must list the function names');
    if (OPERATORS[operator] === undefined) fail('operator', 'an FC metric rule takes a threshold operator');
    return problems.length === before ? { ...base, namespace: 'acs_fc', functions: functions as string[] } : undefined;
  }
  if (metric.namespace === 'custom') {
    // A metric sent without dimensions is one resource with none.
    const dimensions = metric.dimensions ?? [{}];
    const valid = (d: unknown) => isMap(d) && Object.values(d).every((v) => typeof v === 'string' && v && !/[=&,]/.test(v));
    if (!Array.isArray(dimensions) || dimensions.length === 0 || !dimensions.every(valid))
      fail(
        'metric.dimensions',
        'must list dimension sets as the platform reports them, e.g. [{ function: ingest }] (values without = & ,), or be left out',
      );
    return problems.length === before ? { ...base, namespace: 'custom', dimensions: dimensions as Record<string, string>[] } : undefined;
  }
  fail('metric.namespace', 'must be acs_fc or custom');
  return undefined;
}
