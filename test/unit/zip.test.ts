import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zip } from '../../scripts/lib/zip';

describe('reproducible zip', () => {
  const entries = [
    { name: 'nodejs/node_modules/a/index.js', data: Buffer.from('module.exports = 1;\n'.repeat(50)) },
    { name: 'nodejs/bin/tool', data: Buffer.from([0, 1, 2, 3]), executable: true },
  ];

  it('gives the same bytes for the same files in any order', () => {
    expect(zip(entries).equals(zip([...entries].reverse()))).toBe(true);
  });

  it('is a valid archive that standard tools read back', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-zip-'));
    const file = path.join(dir, 'layer.zip');
    writeFileSync(file, zip(entries));
    const script =
      'import sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor ' +
      'i in z.infolist(): print(i.filename, len(z.read(i)), oct(i.external_attr>>16))';
    const out = execFileSync('python3', ['-c', script, file]).toString();
    rmSync(dir, { recursive: true, force: true });
    expect(out.trim().split('\n')).toEqual(['nodejs/bin/tool 4 0o100755', 'nodejs/node_modules/a/index.js 1000 0o100644']);
  });
});
