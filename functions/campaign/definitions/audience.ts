/**
 * The audience of a campaign: rules every user must meet, or an uploaded id list. A rule is one
 * line a marketer can read: `feature: counts.purchase.d30 >= 1`, `attribute: city in [上海, 北京]`,
 * `has_tag: vip`, `not_tag: churned`.
 */
import { STANDARD_EVENT_TYPES } from '#lib/events/behaviour';
import { assertValidKey } from '#lib/objectStore/port';
import { isMap } from 'yaml';
import { clip, type DefinitionReader, type Place } from './fields';
import { FEATURE_PATHS, OPERATORS, type Audience, type AudienceRule, type AttributeValue, type Operator } from './types';

/** Profile attribute names, in audience rules and in `profile.<attribute>` parameter sources. */
export const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const RULE_KINDS = ['feature', 'attribute', 'has_tag', 'not_tag'] as const;
const MAX_RULES = 20;
const ORDERING: readonly Operator[] = ['<', '<=', '>', '>='];

const IN_CONDITION = /^(\S+)\s+in\s+(.*)$/;
const COMPARISON = /^([^\s!=<>]+)\s*(==|!=|<=|>=|=|<|>)\s*(.*)$/;
const NUMBER = /^-?\d+(\.\d+)?$/;

export function readAudience(r: DefinitionReader, place: Place): Audience | undefined {
  const given = r.either(place, 'rules', 'list', 'give either rules or list, not both');
  if (!given) return undefined;
  const { a: rules, b: list } = given;
  if (list) {
    const key = r.text(list);
    if (key === undefined) return undefined;
    try {
      assertValidKey(key);
    } catch {
      return r.fail(list, `must be an object-store key (no leading slash, no . or .. segments), not "${clip(key)}"`);
    }
    return { kind: 'list', listKey: key };
  }
  if (rules) {
    const parsed = r.items(rules, 1, MAX_RULES)?.map((item) => readRule(r, item));
    return parsed?.every((rule) => rule !== undefined) ? { kind: 'rules', rules: parsed as AudienceRule[] } : undefined;
  }
  return r.fail(place, 'needs rules (conditions every user meets) or list (the object-store key of an uploaded id list)');
}

function readRule(r: DefinitionReader, place: Place): AudienceRule | undefined {
  const fields = r.fields(place, RULE_KINDS);
  if (!fields) return undefined;
  if (fields.size !== 1) {
    // An item whose only field was unknown has been reported already.
    const reported = fields.size === 0 && isMap(place.node) && place.node.items.length > 0;
    return reported ? undefined : r.fail(place, `must hold exactly one condition (${RULE_KINDS.join(', ')}), not ${fields.size}`);
  }
  const [[kind, at]] = fields;
  const text = r.text(at)?.trim();
  if (text === undefined) return undefined;
  if (kind === 'has_tag' || kind === 'not_tag') return { kind: 'tag', tag: text, has: kind === 'has_tag' };

  const condition = parseCondition(text);
  if (typeof condition === 'string') return r.fail(at, condition);
  const { subject, op, values } = condition;
  if (ORDERING.includes(op) && typeof values[0] !== 'number')
    return r.fail(at, `${op} compares numbers; "${clip(String(values[0]))}" is not one`);
  const value = op === 'in' ? values : values[0];

  if (kind === 'attribute') {
    if (!ATTRIBUTE_NAME.test(subject)) return r.fail(at, `"${clip(subject)}" is not an attribute name (letters, digits and _)`);
    return { kind: 'attribute', attribute: subject, op, value };
  }
  if (!FEATURE_PATHS.includes(subject)) {
    return r.fail(
      at,
      `unknown feature "${clip(subject)}"; features are counts.<event>.<d1|d7|d30> ` +
        `(events: ${STANDARD_EVENT_TYPES.join(', ')}), last_active_days, spend`,
    );
  }
  const notNumber = values.find((v) => typeof v !== 'number');
  if (notNumber !== undefined) return r.fail(at, `feature ${subject} is a number; "${clip(String(notNumber))}" is not one`);
  return { kind: 'feature', feature: subject, op, value: value as number | number[] };
}

const SYNTAX = `must read "<name> <operator> <value>" with an operator of ${OPERATORS.join(' ')}`;

/** `subject op value`, or `subject in [v1, v2]`; an error message when the text is neither. */
function parseCondition(text: string): { subject: string; op: Operator; values: AttributeValue[] } | string {
  const inList = IN_CONDITION.exec(text);
  if (inList) {
    const list = /^\[(.*)\]$/.exec(inList[2].trim());
    if (!list) return `in takes a list in brackets: ${inList[1]} in [a, b]`;
    const values = (list[1].match(/"[^"]*"|'[^']*'|[^,]+/g) ?? [])
      .map((v) => v.trim())
      .filter(Boolean)
      .map(literalOf);
    return values.length ? { subject: inList[1], op: 'in', values } : 'in needs at least one value in its list';
  }
  const comparison = COMPARISON.exec(text);
  if (!comparison) return SYNTAX;
  const [, subject, op, rest] = comparison;
  if (op === '==') return 'use = to compare (not ==)';
  if (!rest.trim()) return `${SYNTAX}; the value is missing`;
  return { subject, op: op as Operator, values: [literalOf(rest.trim())] };
}

function literalOf(token: string): AttributeValue {
  if (/^"[^"]*"$|^'[^']*'$/.test(token)) return token.slice(1, -1);
  if (NUMBER.test(token)) return Number(token);
  if (token === 'true' || token === 'false') return token === 'true';
  return token;
}
