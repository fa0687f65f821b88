/**
 * A wire-level fake of CloudMonitor (CMS 2019-01-01) alarm rules, on the signature-checking
 * Alibaba RPC fake (./alibabaRpc): PutCustomMetricRule and PutResourceMetricRule check the
 * parameters each action requires and keep the rule in memory under its RuleId (a new id
 * creates, a known one replaces); DescribeMetricRuleList answers in CloudMonitor's JSON shape
 * (`Alarms.Alarm[]`, `Code` 200, `Total` as text), with its limits: at most 20 RuleIds a call,
 * 10 rules a page unless PageSize says otherwise. PutCustomMetric is served as well.
 */
import { putCustomMetricAction, startAlibabaRpcFake, type ActionHandler, type ActionReply } from './alibabaRpc';
import type { HttpFake } from './httpFake';

/** A rule as DescribeMetricRuleList returns it. */
export interface StoredRule {
  RuleId: string;
  RuleName: string;
  Namespace: string;
  MetricName: string;
  Resources: string;
  ContactGroups: string;
  Period: string;
  GroupId?: string;
  NoDataPolicy?: string;
  EnableState: boolean;
  SilenceTime: number;
  SourceType: 'METRIC';
  Escalations: Partial<
    Record<'Critical' | 'Warn' | 'Info', { ComparisonOperator: string; Statistics: string; Threshold: string; Times: number }>
  >;
}

export const FAKE_ACCOUNT_ID = '1234567890123456';

const SYMBOLS = ['>=', '=', '<=', '>', '<', '!='];
const NAMED_OPERATORS = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanOrEqualToThreshold',
  'LessThanThreshold',
  'NotEqualToThreshold',
  'EqualToThreshold',
  'GreaterThanYesterday',
  'LessThanYesterday',
  'GreaterThanLastWeek',
  'LessThanLastWeek',
  'GreaterThanLastPeriod',
  'LessThanLastPeriod',
];
const LEVEL_KEYS = { CRITICAL: 'Critical', WARN: 'Warn', INFO: 'Info' } as const;

const refuse = (Code: string, Message: string): ActionReply => ({ status: 400, body: { Code, Message, Success: false } });
const ok: ActionReply = { body: { Code: '200', Message: '', Success: true } };

/** The first reason CloudMonitor would refuse these parameters, if any. */
function missing(p: Record<string, string>, names: string[]): ActionReply | undefined {
  const name = names.find((n) => p[n] === undefined || p[n] === '');
  return name ? refuse('MissingParameter', `${name} is mandatory for this action.`) : undefined;
}

function badResources(text: string, keys: string[]): ActionReply | undefined {
  try {
    const list = JSON.parse(text) as unknown;
    if (Array.isArray(list) && list.length > 0 && list.every((r) => typeof r === 'object' && r !== null && keys.every((k) => k in r)))
      return undefined;
  } catch {
    // refused below
  }
  return refuse('InvalidParameter', `Resources must be a JSON array of objects with ${keys.join(', ')}.`);
}

const notNumber = (v: string) => !Number.isFinite(Number(v));
const notCount = (v: string) => !/^[1-9]\d*$/.test(v);

export async function startCloudMonitorFake(): Promise<HttpFake & { rules: Map<string, StoredRule>; calls: Record<string, string>[] }> {
  const rules = new Map<string, StoredRule>();

  const putCustomMetricRule: ActionHandler = (p) => {
    const refusal =
      missing(p, [
        'RuleId',
        'MetricName',
        'Resources',
        'ContactGroups',
        'ComparisonOperator',
        'Threshold',
        'Statistics',
        'Period',
        'EvaluationCount',
        'Level',
      ]) ?? badResources(p.Resources, ['groupId', 'dimension']);
    if (refusal) return refusal;
    if (!SYMBOLS.includes(p.ComparisonOperator))
      return refuse('InvalidParameter', `ComparisonOperator must be one of ${SYMBOLS.join(' ')}.`);
    if (!(p.Level in LEVEL_KEYS)) return refuse('InvalidParameter', 'Level must be CRITICAL, WARN or INFO.');
    if (notNumber(p.Threshold) || notCount(p.EvaluationCount) || notCount(p.Period))
      return refuse('InvalidParameter', 'Threshold, EvaluationCount and Period must be numbers.');
    rules.set(p.RuleId, {
      RuleId: p.RuleId,
      RuleName: p.RuleName ?? p.RuleId,
      Namespace: `acs_customMetric_${FAKE_ACCOUNT_ID}`,
      MetricName: p.MetricName,
      Resources: p.Resources,
      ContactGroups: p.ContactGroups,
      Period: p.Period,
      GroupId: p.GroupId ?? '0',
      EnableState: true,
      SilenceTime: Number(p.SilenceTime ?? 86400),
      SourceType: 'METRIC',
      Escalations: {
        [LEVEL_KEYS[p.Level as keyof typeof LEVEL_KEYS]]: {
          ComparisonOperator: p.ComparisonOperator,
          Statistics: p.Statistics,
          Threshold: p.Threshold,
          Times: Number(p.EvaluationCount),
        },
      },
    });
    return ok;
  };

  const putResourceMetricRule: ActionHandler = (p) => {
    const refusal =
      missing(p, ['RuleId', 'RuleName', 'Namespace', 'MetricName', 'Resources', 'ContactGroups']) ?? badResources(p.Resources, []);
    if (refusal) return refusal;
    const escalations: StoredRule['Escalations'] = {};
    for (const level of Object.values(LEVEL_KEYS)) {
      const field = (name: string) => p[`Escalations.${level}.${name}`];
      if (![field('Statistics'), field('ComparisonOperator'), field('Threshold'), field('Times')].some((v) => v !== undefined)) continue;
      const incomplete = missing(
        p,
        ['Statistics', 'ComparisonOperator', 'Threshold', 'Times'].map((n) => `Escalations.${level}.${n}`),
      );
      if (incomplete) return incomplete;
      if (!NAMED_OPERATORS.includes(field('ComparisonOperator')))
        return refuse('InvalidParameter', `Escalations.${level}.ComparisonOperator is not valid.`);
      if (notNumber(field('Threshold')) || notCount(field('Times')))
        return refuse('InvalidParameter', `Escalations.${level}.Threshold and Times must be numbers.`);
      escalations[level] = {
        ComparisonOperator: field('ComparisonOperator'),
        Statistics: field('Statistics'),
        Threshold: field('Threshold'),
        Times: Number(field('Times')),
      };
    }
    if (Object.keys(escalations).length === 0)
      return refuse('MissingParameter', 'At least one of Escalations.Critical, Warn and Info is mandatory.');
    if (p.Period !== undefined && notCount(p.Period)) return refuse('InvalidParameter', 'Period must be a number of seconds.');
    if (p.NoDataPolicy !== undefined && !['KEEP_LAST_STATE', 'INSUFFICIENT_DATA', 'OK'].includes(p.NoDataPolicy))
      return refuse('InvalidParameter', 'NoDataPolicy is not valid.');
    rules.set(p.RuleId, {
      RuleId: p.RuleId,
      RuleName: p.RuleName,
      Namespace: p.Namespace,
      MetricName: p.MetricName,
      Resources: p.Resources,
      ContactGroups: p.ContactGroups,
      Period: p.Period ?? '60',
      ...(p.NoDataPolicy ? { NoDataPolicy: p.NoDataPolicy } : {}),
      EnableState: true,
      SilenceTime: Number(p.SilenceTime ?? 86400),
      SourceType: 'METRIC',
      Escalations: escalations,
    });
    return ok;
  };

  const describeMetricRuleList: ActionHandler = (p) => {
    const ids = p.RuleIds?.split(',').filter(Boolean);
    if (ids && ids.length > 20) return refuse('InvalidParameter', 'RuleIds can hold at most 20 rule ids.');
    const page = Number(p.Page ?? 1);
    const size = Number(p.PageSize ?? 10);
    const matching = [...rules.values()].filter(
      (r) =>
        (!ids || ids.includes(r.RuleId)) &&
        (!p.Namespace || r.Namespace === p.Namespace) &&
        (!p.MetricName || r.MetricName === p.MetricName),
    );
    return {
      body: { Code: 200, Success: true, Total: String(matching.length), Alarms: { Alarm: matching.slice((page - 1) * size, page * size) } },
    };
  };

  const fake = await startAlibabaRpcFake('2019-01-01', {
    PutCustomMetric: putCustomMetricAction,
    PutCustomMetricRule: putCustomMetricRule,
    PutResourceMetricRule: putResourceMetricRule,
    DescribeMetricRuleList: describeMetricRuleList,
  });
  return Object.assign(fake, { rules });
}
