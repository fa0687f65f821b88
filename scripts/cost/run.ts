/**
 * `npm run cost -- [--profile <file>] [--prices <file>] [--measured <file>]`: the monthly bill of a
 * traffic profile on Function Compute, beside always-on ECS, as a table and a JSON line.
 * Defaults: ops/traffic-profile.example.yaml, the newest ops/prices-YYYY-MM.yaml,
 * ops/measured-figures.yaml; the functions' sizes come from s.yaml as `s deploy` renders it.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderProject } from '../local/project';
import { functionSpecOf } from './functionSpecs';
import { loadMeasured, loadPrices, loadProfile } from './inputs';
import { costBreakdown, type CostBreakdown, type CostInputs } from './model';
import { costJsonLine, formatCostTable } from './report';

const root = path.resolve(__dirname, '../..');
export const DEFAULT_PROFILE = 'ops/traffic-profile.example.yaml';
export const DEFAULT_MEASURED = 'ops/measured-figures.yaml';

/** The newest dated price list in ops/. */
export function newestPrices(dir = path.join(root, 'ops')): string {
  const newest = readdirSync(dir)
    .filter((f) => /^prices-\d{4}-\d{2}\.yaml$/.test(f))
    .sort()
    .at(-1);
  if (!newest) throw new Error(`no prices-YYYY-MM.yaml in ${dir}`);
  return path.join(dir, newest);
}

export interface CostFiles {
  profile: string;
  prices: string;
  measured: string;
}

/** Reads the three files and s.yaml; what `costBreakdown` takes (a dashboard can call both). */
export async function loadCostInputs(files: CostFiles): Promise<CostInputs> {
  const project = await renderProject(root);
  return {
    profile: loadProfile(files.profile),
    prices: loadPrices(files.prices),
    measured: loadMeasured(files.measured),
    functions: project.functions.map(functionSpecOf),
  };
}

export async function monthlyCost(files: CostFiles): Promise<CostBreakdown> {
  return costBreakdown(await loadCostInputs(files));
}

export async function runCost(argv: string[], out: (text: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: 'string', default: DEFAULT_PROFILE },
      prices: { type: 'string' },
      measured: { type: 'string', default: DEFAULT_MEASURED },
    },
  });
  const breakdown = await monthlyCost({ profile: values.profile!, prices: values.prices ?? newestPrices(), measured: values.measured! });
  out(`${formatCostTable(breakdown)}\n${costJsonLine(breakdown)}\n`);
  return 0;
}
