/** `npm run cost -- [--profile <file>] [--prices <file>] [--measured <file>]`: a traffic profile's monthly bill (scripts/cost/run.ts). */
import { runCost } from './cost/run';

runCost(process.argv.slice(2), (text) => process.stdout.write(text)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`cost: ${err.message}\n`);
    process.exit(1);
  },
);
