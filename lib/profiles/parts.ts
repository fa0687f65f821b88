/**
 * Reading a range of profile parts a page at a time. The cursor names the part and the
 * position inside it (`<part>:<position>`), so a page may span parts and a reader can stop
 * after any page and resume from its cursor.
 */
import type { PartRange } from './port';

/** One step inside one part: ids from `position`, and where to go on (undefined: the part is done). */
export type ReadPart = (part: number, position: string) => Promise<{ ids: string[]; next?: string }>;

export async function pageOfParts(
  cursor: string | undefined,
  count: number,
  parts: PartRange,
  read: ReadPart,
): Promise<{ ids: string[]; next?: string }> {
  let [part, position] = parseCursor(cursor, parts);
  const ids: string[] = [];
  while (part < parts.to && ids.length < count) {
    const step = await read(part, position);
    ids.push(...step.ids);
    if (step.next === undefined) [part, position] = [part + 1, '0'];
    else position = step.next;
  }
  return { ids, next: part < parts.to ? `${part}:${position}` : undefined };
}

function parseCursor(cursor: string | undefined, parts: PartRange): [number, string] {
  if (cursor === undefined) return [parts.from, '0'];
  const match = /^(\d+):(\d+)$/.exec(cursor);
  if (!match || Number(match[1]) < parts.from || Number(match[1]) > parts.to)
    throw new Error(`profile cursor ${cursor} is not within parts ${parts.from}–${parts.to}`);
  return [Number(match[1]), match[2]];
}
