/**
 * Reading a parsed YAML (or JSON) document field by field: each read names the field's path
 * and line, records what is wrong and carries on, so one pass finds every problem.
 */
import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { FILE_FIELD, type DefinitionError } from './types';

/** A field of the file: its path (`variants[1].template_text`), the line of its key, its value node (undefined when absent). */
export interface Place {
  field: string;
  line?: number;
  node?: Node | null;
}

const childField = (parent: string, key: string) => (parent ? `${parent}.${key}` : key);

const isNull = (node: Node | null | undefined) => !node || (isScalar(node) && node.value === null);

export class DefinitionReader {
  readonly errors: DefinitionError[] = [];

  constructor(private readonly lines: LineCounter) {}

  lineOf(node: Node | null | undefined): number | undefined {
    return node?.range ? this.lines.linePos(node.range[0]).line : undefined;
  }

  fail(place: Place, message: string): undefined {
    this.errors.push({ field: place.field || FILE_FIELD, ...(place.line === undefined ? {} : { line: place.line }), message });
    return undefined;
  }

  /** The fields of a mapping by name; unknown names (when `known` is given) are refused and left out. */
  fields(place: Place, known?: readonly string[]): Map<string, Place> | undefined {
    if (!isMap(place.node)) return this.fail(place, 'must be a mapping of fields (name: value)');
    const fields = new Map<string, Place>();
    for (const pair of place.node.items) {
      const keyNode = pair.key as Node | null;
      const name = isScalar(keyNode) ? String(keyNode.value) : '?';
      const at: Place = { field: childField(place.field, name), line: this.lineOf(keyNode) ?? place.line, node: pair.value as Node | null };
      if (!isScalar(keyNode)) this.fail(at, 'a field name must be plain text');
      else if (known && !known.includes(name)) this.fail(at, unknownFieldMessage(name, known));
      else fields.set(name, at);
    }
    return fields;
  }

  /** A field that must be there; absent or empty, the error names it at its parent's line. */
  required(fields: Map<string, Place>, name: string, parent: Place): Place | undefined {
    const at = fields.get(name);
    if (at && !isNull(at.node)) return at;
    return this.fail(at ?? { field: childField(parent.field, name), line: parent.line }, 'is required');
  }

  /** A field that may be left out (or left empty). */
  optional(fields: Map<string, Place>, name: string): Place | undefined {
    const at = fields.get(name);
    return at && !isNull(at.node) ? at : undefined;
  }

  /**
   * An object of two alternatives, `a` or `b`: the place of the one given (neither may be, when
   * the caller has a default); both given is reported with `both`, and undefined is returned.
   */
  either(place: Place, a: string, b: string, both: string): { a?: Place; b?: Place } | undefined {
    const fields = this.fields(place, [a, b]);
    if (!fields) return undefined;
    const given = { a: this.optional(fields, a), b: this.optional(fields, b) };
    return given.a && given.b ? this.fail(place, both) : given;
  }

  /** The items of a list, `min` to `max` of them; a count out of range is reported, and the items are read all the same. */
  items(place: Place, min: number, max: number): Place[] | undefined {
    if (!isSeq(place.node)) return this.fail(place, 'must be a list');
    const count = place.node.items.length;
    if (count < min || count > max) this.fail(place, `must list ${min === max ? min : `${min} to ${max}`} items, not ${count}`);
    return place.node.items.map((item, i) => {
      const node = item as Node | null;
      return { field: `${place.field}[${i}]`, line: this.lineOf(node) ?? place.line, node };
    });
  }

  text(place: Place): string | undefined {
    const { node } = place;
    if (isScalar(node) && typeof node.value === 'string') {
      return node.value.trim() ? node.value : this.fail(place, 'must not be blank');
    }
    if (isScalar(node) && (typeof node.value === 'number' || typeof node.value === 'boolean')) {
      return this.fail(place, `must be text; put ${String(node.source ?? node.value)} in quotes`);
    }
    return this.fail(place, 'must be text');
  }

  /** Text matching `pattern`, else the error says what was `expected`. */
  matching(place: Place, pattern: RegExp, expected: string): string | undefined {
    const value = this.text(place);
    if (value === undefined) return undefined;
    return pattern.test(value) ? value : this.fail(place, `must be ${expected}, not "${clip(value)}"`);
  }

  oneOf<T extends string>(place: Place, values: readonly T[]): T | undefined {
    const value = this.text(place);
    if (value === undefined) return undefined;
    return (values as readonly string[]).includes(value)
      ? (value as T)
      : this.fail(place, `must be one of ${values.join(', ')}, not "${clip(value)}"`);
  }

  flag(place: Place): boolean | undefined {
    const { node } = place;
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    return this.fail(place, `must be true or false, not ${clip(isScalar(node) ? String(node.source ?? node.value) : 'a list or mapping')}`);
  }

  /** A number for which `ok` holds, else the error says what was `expected` (e.g. "a number from 0 to 1"). */
  number(place: Place, ok: (n: number) => boolean, expected: string): number | undefined {
    const { node } = place;
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value === 'number' && Number.isFinite(value) && ok(value)) return value;
    const given = isScalar(node) ? String(node.source ?? node.value) : 'a list or mapping';
    return this.fail(place, `must be ${expected}, not ${clip(given)}`);
  }
}

export const clip = (text: string, max = 60): string => (text.length > max ? `${text.slice(0, max)}…` : text);

function unknownFieldMessage(name: string, known: readonly string[]): string {
  const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const guess = known.find((k) => squash(k) === squash(name)) ?? known.find((k) => editDistance(k, name) <= 2);
  return `unknown field "${clip(name)}"${guess ? `; did you mean ${guess}?` : ''} (fields here: ${known.join(', ')})`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
