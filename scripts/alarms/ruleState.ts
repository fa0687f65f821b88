/**
 * One alarm rule as CloudMonitor holds it, in a form both the file and the API's answer reduce
 * to, so `plan` can compare them field by field; and the request that makes CloudMonitor hold it.
 */
import { OPERATORS, type AlarmRule, type Level } from './ruleFile';

/** What plan compares. Every value is text in one canonical spelling. */
export interface RuleState {
  name: string;
  namespace: string;
  metric: string;
  resources: string;
  contactGroups: string;
  period: string;
  level: Level;
  statistics: string;
  operator: string;
  threshold: string;
  times: string;
}

export type RuleApi = 'PutCustomMetricRule' | 'PutResourceMetricRule';

export interface DesiredRule {
  id: string;
  api: RuleApi;
  state: RuleState;
  /** The request parameters of `api`. */
  params: Record<string, string>;
  pending?: string;
}

/** Where the rules go: resolved from the environment by the command. */
export interface RuleSettings {
  region: string;
  /** MKT_CMS_GROUP_ID: the application group custom metrics are reported in. */
  groupId: string;
  /** role → contact group names, comma-separated */
  contactGroups: Record<string, string>;
  /** Needed only by custom-metric rules that compare with yesterday. */
  accountId?: string;
}

/** Custom metrics live in `acs_customMetric_<account id>`; plan compares without the account. */
const CUSTOM_NAMESPACE = 'acs_customMetric';
const comparableNamespace = (ns: string) => (ns.startsWith(`${CUSTOM_NAMESPACE}_`) ? CUSTOM_NAMESPACE : ns);

/** Whether a rule needs PutResourceMetricRule (FC metrics; custom metrics compared with yesterday). */
export const needsResourceApi = (rule: AlarmRule) => rule.namespace === 'acs_fc' || OPERATORS[rule.operator] === undefined;

const dimensionText = (d: Record<string, string>) =>
  Object.keys(d)
    .sort()
    .map((k) => `${k}=${d[k]}`)
    .join('&');

function resourcesOf(rule: AlarmRule, s: RuleSettings): Record<string, string | number>[] {
  if (rule.namespace === 'acs_fc') return rule.functions.map((functionName) => ({ region: s.region, functionName }));
  return rule.dimensions.map((d) => ({ groupId: Number(s.groupId), dimension: dimensionText(d) }));
}

export function desiredRule(rule: AlarmRule, s: RuleSettings): DesiredRule {
  const resources = JSON.stringify(resourcesOf(rule, s));
  const contactGroups = s.contactGroups[rule.notify];
  const common = {
    RuleId: rule.id,
    RuleName: rule.name,
    MetricName: rule.metricName,
    Resources: resources,
    ContactGroups: contactGroups,
    Period: String(rule.period),
  };
  let api: RuleApi;
  let namespace: string;
  let params: Record<string, string>;
  if (needsResourceApi(rule)) {
    api = 'PutResourceMetricRule';
    namespace = rule.namespace === 'acs_fc' ? 'acs_fc' : `${CUSTOM_NAMESPACE}_${s.accountId}`;
    const level = `Escalations.${escalationKey(rule.level)}`;
    params = {
      ...common,
      Namespace: namespace,
      [`${level}.Statistics`]: rule.statistics,
      [`${level}.ComparisonOperator`]: rule.operator,
      [`${level}.Threshold`]: String(rule.threshold),
      [`${level}.Times`]: String(rule.times),
    };
  } else {
    api = 'PutCustomMetricRule';
    namespace = CUSTOM_NAMESPACE;
    params = {
      ...common,
      GroupId: s.groupId,
      Statistics: rule.statistics,
      ComparisonOperator: OPERATORS[rule.operator]!,
      Threshold: String(rule.threshold),
      EvaluationCount: String(rule.times),
      Level: rule.level,
    };
  }
  const state = canonical({
    name: rule.name,
    namespace,
    metric: rule.metricName,
    resources,
    contactGroups,
    period: rule.period,
    level: rule.level,
    statistics: rule.statistics,
    operator: rule.operator,
    threshold: rule.threshold,
    times: rule.times,
  });
  return { id: rule.id, api, state, params, ...(rule.pending ? { pending: rule.pending } : {}) };
}

/** One level's condition in DescribeMetricRuleList's answer. */
export interface Escalation {
  ComparisonOperator?: string;
  Statistics?: string;
  Threshold?: string | number;
  Times?: string | number;
}

/** The fields of DescribeMetricRuleList's `Alarms.Alarm[]` that plan reads. */
export interface DescribedAlarm {
  RuleId: string;
  RuleName?: string;
  Namespace?: string;
  MetricName?: string;
  Resources?: string;
  ContactGroups?: string;
  Period?: string | number;
  Escalations?: Partial<Record<'Critical' | 'Warn' | 'Info', Escalation>>;
}

const escalationKey = (level: Level) => (level === 'CRITICAL' ? 'Critical' : level === 'WARN' ? 'Warn' : 'Info');

export function describedState(a: DescribedAlarm): RuleState {
  const level = (['CRITICAL', 'WARN', 'INFO'] as const).find((l) => a.Escalations?.[escalationKey(l)]?.ComparisonOperator) ?? 'CRITICAL';
  const e = a.Escalations?.[escalationKey(level)] ?? {};
  return canonical({
    name: a.RuleName,
    namespace: a.Namespace,
    metric: a.MetricName,
    resources: a.Resources,
    contactGroups: a.ContactGroups,
    period: a.Period,
    level,
    statistics: e.Statistics,
    operator: e.ComparisonOperator,
    threshold: e.Threshold,
    times: e.Times,
  });
}

type Loose = { [K in keyof RuleState]: unknown };

/** One spelling for each value: symbols become CloudMonitor's operator names, numbers lose trailing zeros, lists are sorted. */
function canonical(v: Loose): RuleState {
  const text = (x: unknown) => (x === undefined || x === null ? '' : String(x));
  const num = (x: unknown) => (x !== '' && x !== null && Number.isFinite(Number(x)) ? String(Number(x)) : text(x));
  const op = text(v.operator);
  const named = (Object.keys(OPERATORS) as (keyof typeof OPERATORS)[]).find((k) => OPERATORS[k] === op) ?? op;
  return {
    name: text(v.name),
    namespace: comparableNamespace(text(v.namespace)),
    metric: text(v.metric),
    resources: canonicalResources(text(v.resources)),
    contactGroups: text(v.contactGroups)
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean)
      .sort()
      .join(','),
    period: num(v.period),
    level: v.level as Level,
    statistics: text(v.statistics),
    operator: named,
    threshold: num(v.threshold),
    times: num(v.times),
  };
}

function canonicalResources(json: string): string {
  try {
    const list = JSON.parse(json) as Record<string, unknown>[];
    if (!Array.isArray(list)) return json;
    const entries = list.map((r) =>
      JSON.stringify(
        Object.fromEntries(
          Object.keys(r)
            .sort()
            .map((k) => [k, String(r[k])]),
        ),
      ),
    );
    return `[${entries.sort().join(',')}]`;
  } catch {
    return json;
  }
}
