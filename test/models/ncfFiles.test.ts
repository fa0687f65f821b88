import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInteractions, readTestCases } from '#models/datasets/ncf';

describe('NCF files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-ncf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };

  it('reads training files with or without rating and timestamp, de-duplicating pairs', async () => {
    const data = await readInteractions(file('train.rating', '10\t7\t5\t978300760\n10\t8\t3\t978300761\n11\t7\n10\t7\t4\t978300762\n'));
    expect([...data.userIndex]).toEqual([
      ['10', 0],
      ['11', 1],
    ]);
    expect([...data.itemIndex]).toEqual([
      ['7', 0],
      ['8', 1],
    ]);
    expect(data.byUser).toEqual([[0, 1], [0]]);
    expect(data.chronological).toBe(false); // one line has no timestamp
  });

  it('joins test items with their negatives and de-duplicates each candidate list', async () => {
    const cases = await readTestCases(file('test.rating', '10\t9\t5\t1\n'), file('test.negative', '(10,9)\t3\t9\t4\t3\n'));
    expect(cases).toEqual([{ user: '10', item: '9', candidates: ['9', '3', '4'] }]);
  });

  it('names the file and the line it cannot read', async () => {
    await expect(readInteractions(file('bad.rating', 'oops\n'))).rejects.toThrow(/bad.rating: expected user<TAB>item/);
    await expect(readTestCases(file('t.rating', '1\t2\n'), file('n.negative', '(1,3)\t4\n'))).rejects.toThrow(/no negatives for \(1,2\)/);
  });
});

describe('NCF files with timestamps', () => {
  it('orders each history oldest first (the public ML-1M file lists newest first)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-ncf-'));
    const f = path.join(dir, 'train.rating');
    writeFileSync(f, '0\t32\t4\t978824330\n0\t4\t5\t978824291\n0\t29\t3\t978824268\n1\t4\t5\t5\n');
    const data = await readInteractions(f);
    rmSync(dir, { recursive: true, force: true });
    expect(data.chronological).toBe(true);
    expect(data.byUser[0].map((i) => [...data.itemIndex].find(([, v]) => v === i)![0])).toEqual(['29', '4', '32']);
  });
});
