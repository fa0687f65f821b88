/**
 * `npm run campaign -- validate <file> | plan <id> | run <id> [--at ISO] | report <id> --run <ISO minute | latest>`
 * validate checks a definition file here; the others go to the `campaign` function as a direct
 * invocation, at MKT_URL (default the local runtime, http://127.0.0.1:9000). On FC, send the same
 * JSON with `npx s campaign invoke -e '{"command":"plan","campaign":"<id>"}'`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDefinition } from '../functions/campaign/definitions/definition';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { at: { type: 'string' }, run: { type: 'string' } } });
const [command, target] = positionals;
const usage = 'usage: npm run campaign -- validate <file> | plan <id> | run <id> [--at ISO] | report <id> --run <ISO minute | latest>\n';

function validate(file: string): number {
  const { definition, errors } = parseDefinition(readFileSync(file, 'utf8'), file);
  for (const e of errors) process.stderr.write(`${file}${e.line ? `:${e.line}` : ''}  ${e.field}: ${e.message}\n`);
  if (definition)
    process.stdout.write(
      `${file}: campaign ${definition.id} is valid (${definition.variants.length} variant(s), control ${definition.controlShare * 100}%)\n`,
    );
  return definition ? 0 : 1;
}

/** Sends the command, showing the seconds it has taken on stderr while a long plan or run works. */
async function invoke(body: Record<string, unknown>): Promise<number> {
  const url = `${(process.env.MKT_URL ?? 'http://127.0.0.1:9000').replace(/\/$/, '')}/-/invoke/campaign`;
  const started = Date.now();
  const ticker = setInterval(
    () => process.stderr.write(`\r${body.command} ${body.campaign}: ${Math.round((Date.now() - started) / 1000)} s`),
    500,
  );
  try {
    const reply = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
    process.stderr.write('\r\x1b[K');
    process.stdout.write(`${JSON.stringify(await reply.json(), null, 2)}\n`);
    return reply.headers.get('x-fc-error-type') ? 1 : 0;
  } finally {
    clearInterval(ticker);
  }
}

async function main(): Promise<number> {
  if (!target || !['validate', 'plan', 'run', 'report'].includes(command)) return (process.stderr.write(usage), 2);
  if (command === 'validate') return validate(target);
  if (command === 'report' && !values.run) return (process.stderr.write(usage), 2);
  return invoke({ command, campaign: target, at: values.at, run: values.run });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`campaign: ${err.message}\n`);
    process.exit(1);
  },
);
