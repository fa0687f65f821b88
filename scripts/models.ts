/**
 * `npm run models -- list [name] | promote <name> <version> | rollback <name>`: the model
 * registry for operators, on the object store the configuration names (local by default).
 */
import { config } from '#lib/config';
import { objectStoreFrom } from '#lib/objectStore';
import { ModelRegistry } from '#models/registry';

async function main() {
  const [command, name = 'ease', version] = process.argv.slice(2);
  const registry = new ModelRegistry(objectStoreFrom(config()));
  switch (command) {
    case 'list': {
      const current = await registry.current(name);
      const versions = await registry.versions(name);
      if (versions.length === 0) process.stdout.write(`no versions of ${name} yet\n`);
      for (const m of versions) {
        const mark = m.version === current?.version ? '*' : ' ';
        const vs = m.championMetrics ? ` (champion then: ${JSON.stringify(m.championMetrics)})` : '';
        process.stdout.write(`${mark} ${m.version}  ${m.createdAt}  ${JSON.stringify(m.metrics)}${vs}  ${m.dataWindow.source}\n`);
      }
      break;
    }
    case 'promote':
      if (!version) throw new Error('usage: npm run models -- promote <name> <version>');
      process.stdout.write(`${JSON.stringify(await registry.promote(name, version))}\n`);
      break;
    case 'rollback':
      process.stdout.write(`${JSON.stringify(await registry.rollback(name))}\n`);
      break;
    default:
      throw new Error('usage: npm run models -- list [name] | promote <name> <version> | rollback <name>');
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
