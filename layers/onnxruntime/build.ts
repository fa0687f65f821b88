/**
 * Builds the onnxruntime-node layer for FC (linux-x64 only): a zip of
 * `nodejs/node_modules/{onnxruntime-node,onnxruntime-common}`, which FC mounts at
 * /opt/nodejs/node_modules. Other platforms' binaries (about 240 MB) are left out,
 * and the zip is byte-for-byte reproducible.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { filesUnder } from '../../scripts/lib/files';
import { zip, type ZipEntry } from '../../scripts/lib/zip';

const KEEP: Record<string, (rel: string) => boolean> = {
  'onnxruntime-node': (rel) =>
    rel === 'package.json' || rel === 'LICENSE' || rel.startsWith('dist/') || /^bin\/napi-v\d+\/linux\/x64\//.test(rel),
  'onnxruntime-common': (rel) => rel === 'package.json' || rel === 'LICENSE' || rel.startsWith('dist/cjs/'),
};

export async function buildOrtLayer(root: string, outFile: string): Promise<{ file: string; bytes: number; entries: number }> {
  const entries: ZipEntry[] = [];
  for (const [pkg, keep] of Object.entries(KEEP)) {
    const dir = path.join(root, 'node_modules', pkg);
    for (const rel of (await filesUnder(dir)).filter(keep)) {
      if (rel.endsWith('.map') || rel.endsWith('.d.ts')) continue;
      entries.push({
        name: `nodejs/node_modules/${pkg}/${rel}`,
        data: await fs.readFile(path.join(dir, rel)),
        executable: rel.endsWith('.node') || rel.includes('.so'),
      });
    }
  }
  const layerPackage = {
    name: 'onnxruntime-node-layer',
    private: true,
    dependencies: { 'onnxruntime-node': await versionOf(root, 'onnxruntime-node') },
  };
  entries.push({ name: 'nodejs/package.json', data: Buffer.from(`${JSON.stringify(layerPackage, null, 2)}\n`) });
  const bytes = zip(entries);
  await fs.mkdir(path.dirname(outFile), { recursive: true });
  await fs.writeFile(outFile, bytes);
  return { file: outFile, bytes: bytes.length, entries: entries.length };
}

async function versionOf(root: string, pkg: string): Promise<string> {
  return (JSON.parse(await fs.readFile(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}
