/**
 * Bulk profile import: a CSV or JSON-lines file uploaded under `imports/profiles/` (an OSS
 * trigger) is read with the API's contract, row by row. Good rows are upserted 500 at a time;
 * each bad row is reported, with its line, in `<file>.errors.jsonl` next to the upload.
 *
 * CSV: a header row, then `user_id`, `phone`, `consent_granted` (true/false), `consent_at`
 * (ISO; without one the statement takes the upload's time and never lifts an opt-out), `consent_source` (default `import:<file>`), `tags`
 * (`;`-separated) and `attr.<name>` columns. JSON lines: one API profile per line.
 */
import { parseCsv } from '#lib/csv';
import type { Logger } from '#lib/log';
import type { ObjectStore } from '#lib/objectStore';
import { MAX_PROFILES, validateProfiles, type ProfileBook } from '#lib/profiles';
import { PROFILE_IMPORT_PREFIX } from '#lib/objectStore/keys';

const REPORT_SUFFIX = '.errors.jsonl';

export interface ImportDeps {
  objects: ObjectStore;
  profiles: ProfileBook;
  clock: () => number;
  logger: Logger;
}

export interface ImportResult {
  file: string;
  rows: number;
  accepted: number;
  rejected: number;
  report?: string;
}

/** An upload to import (not a report this import wrote, which fires the trigger too). */
export const isProfileImport = (key: string) =>
  key.startsWith(PROFILE_IMPORT_PREFIX) && /\.(csv|jsonl)$/.test(key) && !key.endsWith(REPORT_SUFFIX);

interface Row {
  line: number;
  profile: unknown;
}

const TRUE = /^(true|1|yes|y)$/i;
const FALSE = /^(false|0|no|n)$/i;

function csvRows(text: string, file: string): Row[] {
  const [header, ...rows] = parseCsv(text);
  const columns = header?.fields.map((c) => c.trim()) ?? [];
  return rows.map(({ line, fields }) => {
    const cell = (name: string) => {
      const value = fields[columns.indexOf(name)]?.trim();
      return value === '' ? undefined : value;
    };
    const granted = cell('consent_granted');
    const attributes = Object.fromEntries(
      columns.flatMap((c, i) => (c.startsWith('attr.') && fields[i]?.trim() ? [[c.slice(5), fields[i].trim()]] : [])),
    );
    return {
      line,
      profile: {
        user_id: cell('user_id'),
        phone: cell('phone'),
        consent_sms:
          granted === undefined
            ? undefined
            : {
                granted: TRUE.test(granted) ? true : FALSE.test(granted) ? false : granted,
                // Without a time of its own the statement takes the import's, and never lifts an opt-out.
                at: cell('consent_at'),
                source: cell('consent_source') ?? `import:${file}`,
              },
        tags: cell('tags')
          ?.split(';')
          .map((t) => t.trim())
          .filter(Boolean),
        attributes: Object.keys(attributes).length ? attributes : undefined,
      },
    };
  });
}

function jsonRows(text: string): Row[] {
  return text.split('\n').flatMap((raw, i) => {
    if (!raw.trim()) return [];
    try {
      return [{ line: i + 1, profile: JSON.parse(raw) as unknown }];
    } catch {
      return [{ line: i + 1, profile: 'not JSON' }];
    }
  });
}

/** Drops the fields a CSV row left empty, so the contract sees only what the file says. */
const defined = (p: unknown) =>
  typeof p === 'object' && p !== null ? Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) : p;

export async function importProfiles(deps: ImportDeps, key: string): Promise<ImportResult> {
  const body = await deps.objects.get(key);
  if (!body) return { file: key, rows: 0, accepted: 0, rejected: 0 };
  const text = body.toString('utf8');
  const rows = key.endsWith('.csv') ? csvRows(text, key.slice(PROFILE_IMPORT_PREFIX.length)) : jsonRows(text);
  const errors: string[] = [];
  let accepted = 0;
  for (let start = 0; start < rows.length; start += MAX_PROFILES) {
    const chunk = rows.slice(start, start + MAX_PROFILES);
    const { valid, rejected } = validateProfiles(chunk.map((r) => defined(r.profile)));
    if (valid.length > 0)
      await deps.profiles.upsert(
        valid.map((v) => v.update),
        deps.clock(),
      );
    accepted += valid.length;
    for (const r of rejected)
      errors.push(JSON.stringify({ line: chunk[r.index].line, user_id: r.user_id, code: r.code, message: r.message }));
  }
  const result: ImportResult = { file: key, rows: rows.length, accepted, rejected: errors.length };
  if (errors.length > 0) {
    result.report = `${key}${REPORT_SUFFIX}`;
    await deps.objects.put(result.report, Buffer.from(`${errors.join('\n')}\n`), { contentType: 'application/x-ndjson' });
  }
  deps.logger.info('profiles imported', { ...result });
  return result;
}
