/** What apply would change: each rule of the file against the rule CloudMonitor holds under its id. */
import type { DesiredRule, DescribedAlarm, RuleState } from './ruleState';
import { describedState } from './ruleState';

export interface FieldChange {
  field: keyof RuleState;
  from: string;
  to: string;
}

export interface RuleChange {
  rule: DesiredRule;
  action: 'create' | 'update' | 'unchanged';
  fields: FieldChange[];
}

export function planChanges(desired: DesiredRule[], existing: Map<string, DescribedAlarm>): RuleChange[] {
  return desired.map((rule) => {
    const found = existing.get(rule.id);
    if (!found) return { rule, action: 'create', fields: [] };
    const now = describedState(found);
    const fields = (Object.keys(rule.state) as (keyof RuleState)[])
      .filter((field) => now[field] !== rule.state[field])
      .map((field) => ({ field, from: now[field], to: rule.state[field] }));
    return { rule, action: fields.length ? 'update' : 'unchanged', fields };
  });
}

const condition = (s: RuleState) =>
  `${s.statistics}(${s.metric}) ${s.operator} ${s.threshold}, ${s.times} × ${s.period} s, ${s.level} → ${s.contactGroups}`;

/** The plan as text: one line per rule, the fields of an update below it, what a pending rule waits for. */
export function formatPlan(changes: RuleChange[]): string {
  const width = Math.max(...changes.map((c) => c.rule.id.length));
  const lines: string[] = [];
  for (const { rule, action, fields } of changes) {
    lines.push(`${action.padEnd(9)}  ${rule.id.padEnd(width)}  ${rule.state.name}`);
    if (action === 'create') {
      lines.push(`             ${rule.api} ${rule.state.namespace}: ${condition(rule.state)}`);
      lines.push(`             resources ${rule.params.Resources}`);
    }
    for (const f of fields) lines.push(`             ${f.field}: ${f.from || '(none)'} → ${f.to}`);
    if (rule.pending) lines.push(`             pending: the platform does not send ${rule.state.metric} yet: ${rule.pending}`);
  }
  return `${lines.join('\n')}\n${summary(changes)}\n`;
}

export function summary(changes: RuleChange[]): string {
  const count = (a: RuleChange['action']) => changes.filter((c) => c.action === a).length;
  const pending = changes.filter((c) => c.rule.pending).length;
  return (
    `plan: ${count('create')} to create, ${count('update')} to update, ${count('unchanged')} ` +
    `unchanged${pending ? ` (${pending} wait for a metric the platform does not send yet)` : ''}`
  );
}
