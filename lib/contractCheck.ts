/**
 * What the public contracts (events, profiles) share: a check throws `Invalid` with a code that
 * names the field, and a list is split so that one bad item is rejected alone.
 */
export class Invalid extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Rejected {
  index: number;
  /** The item's own id, if it had a readable one. */
  id: string | null;
  code: string;
  message: string;
}

/** Each item checked alone: the ones that pass (with their index), and a rejection for each that does not. */
export function checkEach<T>(
  items: unknown[],
  check: (raw: unknown) => T,
  idOf: (raw: unknown) => string | null,
): { valid: { index: number; value: T }[]; rejected: Rejected[] } {
  const valid: { index: number; value: T }[] = [];
  const rejected: Rejected[] = [];
  items.forEach((raw, index) => {
    try {
      valid.push({ index, value: check(raw) });
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      rejected.push({ index, id: idOf(raw), code: err.code, message: err.message });
    }
  });
  return { valid, rejected };
}
