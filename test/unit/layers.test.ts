/**
 * The house rules (docs/architecture.md), checked on every import of the source tree:
 * lib/ is the platform and imports nothing of models/ or functions/; models/ is the ML and may
 * use lib/; a function uses lib/ and models/ but never another function; lib/ and models/ have
 * no import cycles; whatever lies in lib/ or models/ is imported by alias, and the alias means
 * the same to Node (package.json), TypeScript and esbuild (tsconfig) and jest.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const ALIASES: Record<string, string> = { '#lib/': 'lib/', '#models/': 'models/' };

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    return statSync(path.join(root, rel)).isDirectory() ? sourceFiles(rel) : /\.(ts|js)$/.test(name) ? [rel] : [];
  });
}

/** The repository file an import names, or undefined for a package. */
function resolve(from: string, spec: string): string | undefined {
  const alias = Object.keys(ALIASES).find((a) => spec.startsWith(a));
  if (!alias && !spec.startsWith('.')) return undefined;
  const base = alias ? ALIASES[alias] + spec.slice(alias.length) : path.posix.join(path.posix.dirname(from), spec);
  return [`${base}.ts`, `${base}.js`, `${base}/index.ts`, base].find(
    (f) => existsSync(path.join(root, f)) && statSync(path.join(root, f)).isFile(),
  );
}

interface Import {
  from: string;
  spec: string;
  to?: string;
}

const importsOf = (file: string): Import[] =>
  [...readFileSync(path.join(root, file), 'utf8').matchAll(/(?:from|import|require)\s*\(?\s*'([^']+)'/g)].map(([, spec]) => ({
    from: file,
    spec,
    to: resolve(file, spec),
  }));

const tree = ['lib', 'models', 'functions', 'scripts'].flatMap(sourceFiles);
const imports = tree.flatMap(importsOf);
const room = (file: string) => file.split('/')[0];
const functionOf = (file: string) => file.split('/')[1];

describe('the house rules', () => {
  it('lib/ imports nothing of models/ or functions/; models/ nothing of functions/', () => {
    const broken = imports.filter(
      ({ from, to }) =>
        to && ((room(from) === 'lib' && room(to) !== 'lib') || (room(from) === 'models' && !['lib', 'models'].includes(room(to)))),
    );
    expect(broken.map((i) => `${i.from} → ${i.to}`)).toEqual([]);
  });

  it('the model families (models/ease, models/als) import nothing of the recommender that blends them', () => {
    const family = (file: string) => /^models\/(ease|als)\//.test(file);
    const broken = imports.filter(({ from, to }) => to && family(from) && to.startsWith('models/recommender/'));
    expect(broken.map((i) => `${i.from} → ${i.to}`)).toEqual([]);
  });

  it('a function uses lib/ and models/, never another function or the scripts', () => {
    const broken = imports.filter(
      ({ from, to }) =>
        to && room(from) === 'functions' && (room(to) === 'scripts' || (room(to) === 'functions' && functionOf(to) !== functionOf(from))),
    );
    expect(broken.map((i) => `${i.from} → ${i.to}`)).toEqual([]);
  });

  it('imports what lies in lib/ or models/ by alias, except from the same folder', () => {
    const relative = imports.filter(
      ({ from, spec, to }) =>
        to && spec.startsWith('.') && ['lib', 'models'].includes(room(to)) && path.posix.dirname(to) !== path.posix.dirname(from),
    );
    expect(relative.map((i) => `${i.from}: '${i.spec}'`)).toEqual([]);
  });

  it('has no import cycle in lib/ or models/', () => {
    const graph = new Map<string, string[]>();
    for (const { from, to } of imports) if (to && ['lib', 'models'].includes(room(from))) graph.set(from, [...(graph.get(from) ?? []), to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') return void cycles.push([...trail.slice(trail.indexOf(file)), file].join(' → '));
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('keeps every source line within 140 characters (Biome formats to that width; strings and comments are wrapped by hand)', () => {
    const sources = [...tree, ...sourceFiles('test'), ...sourceFiles('layers')];
    const long = sources.flatMap((file) =>
      readFileSync(path.join(root, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (line.length > 140 ? [`${file}:${i + 1} (${line.length})`] : [])),
    );
    expect(long).toEqual([]);
  });

  it('the rule catches a broken import (a lib/ file importing models/)', () => {
    const fake: Import = { from: 'lib/config.ts', spec: '#models/registry', to: resolve('lib/config.ts', '#models/registry') };
    expect(fake.to).toBe('models/registry.ts');
    expect(room(fake.from) === 'lib' && room(fake.to!) !== 'lib').toBe(true);
  });

  it('the aliases mean the same to Node, TypeScript/esbuild and jest', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
    const folders = Object.fromEntries(Object.entries(ALIASES).map(([alias, dir]) => [alias, dir]));
    expect(
      Object.fromEntries(
        Object.entries(pkg.imports as Record<string, string>).map(([k, v]) => [k.replace('*', ''), v.replace('./', '').replace('*', '')]),
      ),
    ).toEqual(folders);
    expect(
      Object.fromEntries(
        Object.entries(tsconfig.compilerOptions.paths as Record<string, string[]>).map(([k, [v]]) => [
          k.replace('*', ''),
          v.replace('*', ''),
        ]),
      ),
    ).toEqual(folders);
    expect(
      Object.fromEntries(
        Object.entries(pkg.jest.moduleNameMapper as Record<string, string>).map(([k, v]) => [
          k.replace('^', '').replace('(.*)$', ''),
          v.replace('<rootDir>/', '').replace('$1', ''),
        ]),
      ),
    ).toEqual(folders);
  });
});
