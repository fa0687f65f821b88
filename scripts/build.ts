/**
 * `npm run build`: bundles each function in s.yaml on its own (only what it imports),
 * the local runtime, and the onnxruntime-node layer; prints each package's size against
 * FC's limits and fails when one is over.
 */
import { build } from 'esbuild';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { buildOrtLayer } from '../layers/onnxruntime/build';
import { renderProject, codeDir, type FunctionSpec } from './local/project';
import { filesUnder, mib } from './lib/files';
import { zip } from './lib/zip';

/** FC's code-package limit for a zip uploaded through the API (500 MiB through s deploy/OSS). */
const CODE_LIMIT = 100 * 1024 * 1024;
/** Provided by the onnxruntime layer (recommend) or the training image, never bundled. */
const EXTERNAL = ['onnxruntime-node', 'proxy-agent' /* optional in urllib (ali-oss), used only behind a proxy */];

const root = path.resolve(__dirname, '..');

function sourceOf(spec: FunctionSpec): string {
  return path.join(root, 'functions', path.basename(codeDir(root, spec)), 'index.ts');
}

/** Worker-thread entries (`*.thread.ts`) of a function, bundled beside its index.js. */
async function threadEntries(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((f) => f.endsWith('.thread.ts')).map((f) => path.join(dir, f));
}

async function bundle(entry: string, outfile: string) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    minifySyntax: true,
    // Identifiers are not minified, so stack frames keep their names; with the source map
    // (NODE_OPTIONS=--enable-source-maps in s.yaml) they point at the TypeScript. esbuild's
    // keepNames would also fix renamed duplicates, but wraps every named closure in a
    // defineProperty call: about 10% of recommend's and ingest's throughput.
    legalComments: 'none',
    external: EXTERNAL,
    logLevel: 'error',
  });
}

async function packageSize(dir: string) {
  const files = await filesUnder(dir);
  const entries = await Promise.all(files.map(async (name) => ({ name, data: await fs.readFile(path.join(dir, name)) })));
  return { files: files.length, raw: entries.reduce((n, e) => n + e.data.length, 0), zipped: zip(entries).length };
}

async function layerIsFresh(out: string): Promise<boolean> {
  try {
    const [zipStat, pkgStat] = await Promise.all([fs.stat(out), fs.stat(path.join(root, 'node_modules/onnxruntime-node/package.json'))]);
    return zipStat.mtimeMs > pkgStat.mtimeMs;
  } catch {
    return false;
  }
}

async function main() {
  const withLayer = !process.argv.includes('--no-layer');
  const project = await renderProject(root);
  const rows: string[] = [];
  let over = false;
  for (const spec of project.functions) {
    const out = codeDir(root, spec);
    await fs.rm(out, { recursive: true, force: true });
    await bundle(sourceOf(spec), path.join(out, 'index.js'));
    for (const thread of await threadEntries(path.dirname(sourceOf(spec))))
      await bundle(thread, path.join(out, `${path.basename(thread, '.ts')}.js`));
    const size = await packageSize(out);
    over ||= size.zipped > CODE_LIMIT;
    rows.push(
      `${spec.props.functionName.padEnd(12)} ${path.relative(root, out).padEnd(18)} ${String(size.files).padStart(5)} ` +
        `files ${mib(size.raw).padStart(12)} raw ${mib(size.zipped).padStart(12)} zipped`,
    );
  }
  await bundle(path.join(root, 'scripts/local/start.ts'), path.join(root, 'dist/local/start.js'));
  if (withLayer) {
    const out = path.join(root, 'dist/layers/onnxruntime-node-linux-x64.zip');
    if (!(await layerIsFresh(out))) await buildOrtLayer(root, out);
    const bytes = (await fs.stat(out)).size;
    over ||= bytes > CODE_LIMIT;
    rows.push(`${'layer'.padEnd(12)} ${path.relative(root, out)} ${mib(bytes).padStart(12)} zipped`);
  }
  process.stdout.write(
    `package sizes (FC limit ${mib(CODE_LIMIT)} zipped through the API, ` +
      `500 MiB through s deploy):\n${rows.map((r) => `  ${r}`).join('\n')}\n`,
  );
  if (over) {
    process.stderr.write('a package is over the FC code-size limit\n');
    process.exit(1);
  }
}

main().catch((err) => {
  process.stderr.write(`build failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
