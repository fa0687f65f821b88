/** Bulk profile import: CSV and JSON lines, good rows stored, each bad row reported with its line next to the upload. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importProfiles, isProfileImport } from '../../functions/campaign/importProfiles';
import { createLogger } from '#lib/log';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { PhoneVault, ProfileBook } from '#lib/profiles';
import { MemoryProfileStore } from '#lib/profiles/memoryStore';

const UPLOADED = Date.parse('2026-11-30T10:00:00+08:00');
let dir: string;
let objects: LocalObjectStore;
let profiles: ProfileBook;
const run = (key: string) => importProfiles({ objects, profiles, clock: () => UPLOADED, logger: createLogger({}, () => undefined) }, key);

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-import-'));
  objects = new LocalObjectStore(dir, 'mkt-data');
  profiles = new ProfileBook(new MemoryProfileStore(), new PhoneVault(Buffer.alloc(32, 5)));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('profile import', () => {
  it('imports a CSV (quoted fields, tags, attributes, consent defaults) and reports each bad row by line', async () => {
    const csv = [
      'user_id,phone,consent_granted,consent_at,consent_source,tags,attr.city,attr.note',
      'u1,138 1234 5678,true,2026-11-01T08:00:00+08:00,store,vip;new,杭州,"likes ""tea"", green"',
      'u2,13912345678,no,,,,,',
      'u3,123,true,,,,,',
      ',13712345678,true,,,,,',
      'u4,13612345678,maybe,,,,,',
    ].join('\r\n');
    await objects.put('imports/profiles/shop.csv', Buffer.from(csv));
    const result = await run('imports/profiles/shop.csv');
    expect(result).toEqual({
      file: 'imports/profiles/shop.csv',
      rows: 5,
      accepted: 2,
      rejected: 3,
      report: 'imports/profiles/shop.csv.errors.jsonl',
    });
    const [u1, u2] = await profiles.store.get(['u1', 'u2']);
    expect(u1).toMatchObject({
      tags: ['vip', 'new'],
      attributes: { city: '杭州', note: 'likes "tea", green' },
      consentSms: { granted: true, at: Date.parse('2026-11-01T08:00:00+08:00'), source: 'store' },
    });
    expect(profiles.phoneOf(u1!)).toBe('+8613812345678');
    expect(u2?.consentSms).toEqual({ granted: false, at: UPLOADED, timeInferred: true, source: 'import:shop.csv' });
    const report = (await objects.get(result.report!))!
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(report.map((r) => [r.line, r.user_id, r.code])).toEqual([
      [4, 'u3', 'invalid_phone'],
      [5, null, 'invalid_user_id'],
      [6, 'u4', 'invalid_consent_sms'],
    ]);
  });

  it('imports JSON lines with the API contract, and writes no report when every row is good', async () => {
    const lines = [JSON.stringify({ user_id: 'j1', phone: '+8613512345678', tags: ['a'] }), '', JSON.stringify({ user_id: 'j2' })].join(
      '\n',
    );
    await objects.put('imports/profiles/app.jsonl', Buffer.from(lines));
    expect(await run('imports/profiles/app.jsonl')).toEqual({ file: 'imports/profiles/app.jsonl', rows: 2, accepted: 2, rejected: 0 });
    expect(await profiles.userOfPhone('+8613512345678')).toBe('j1');
  });

  it('imports uploads, not the reports it writes beside them', () => {
    expect(isProfileImport('imports/profiles/shop.csv')).toBe(true);
    expect(isProfileImport('imports/profiles/app.jsonl')).toBe(true);
    expect(isProfileImport('imports/profiles/shop.csv.errors.jsonl')).toBe(false);
    expect(isProfileImport('imports/other/shop.csv')).toBe(false);
  });
});
