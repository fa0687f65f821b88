/** The cost breakdown as a text table (by function, by category, line by line) and as one JSON line. */
import { CATEGORIES, type CostBreakdown, type FunctionCost, type Line } from './model';

const num = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const row = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');

function table(head: string[], rows: string[][]): string {
  const widths = head.map((_, i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
  return [row(head, widths), ...rows.map((r) => row(r, widths))].map((l) => `  ${l}`).join('\n');
}

export function formatCostTable(b: CostBreakdown): string {
  const money = (n: number) => num(n, 2);
  const mark = (l: Line) => (l.price !== 'fc.cu' && b.unconfirmedPrices.includes(l.price) ? ' *' : '');
  const cells = (name: string, f: Omit<FunctionCost, 'name'>) => [
    name,
    num(f.invocations),
    num(f.activeVcpuSeconds + f.idleVcpuSeconds),
    num(f.memoryGbSeconds),
    num(f.gpuGbSecondsActive + f.gpuGbSecondsIdle),
    num(f.provisionedIdleInstanceSeconds / 3600, 1),
    num(f.cu),
    money(f.cost),
  ];
  const totals = Object.fromEntries(
    (Object.keys(b.functions[0]) as (keyof FunctionCost)[])
      .filter((k) => k !== 'name')
      .map((k) => [k, b.functions.reduce((s, f) => s + (f[k] as number), 0)]),
  ) as Omit<FunctionCost, 'name'>;
  const byFunction = table(
    ['function', 'invocations', 'vCPU-s', 'GB-s', 'GPU GB-s', 'reserved idle h', 'CU', b.currency],
    [...b.functions.map((f) => cells(f.name, f)), cells('total', totals)],
  );

  const byCategory = table(
    ['category', 'Function Compute', 'always-on ECS'],
    [
      ...CATEGORIES.map((c) => [c, money(b.serverless.byCategory[c]), money(b.ecs.byCategory[c])]),
      ['total', money(b.serverless.total), money(b.ecs.total)],
    ],
  );

  const lines = (title: string, ls: Line[]) =>
    `${title}\n${table(
      ['item', 'category', 'quantity', 'unit', b.currency],
      ls.map((l) => [`${l.item}${mark(l)}`, l.category, num(l.quantity, l.quantity < 100 ? 2 : 0), l.unit, money(l.cost)]),
    )}`;

  return [
    `Monthly cost of "${b.profile}" (${b.days} days), prices of ${b.pricesDate} in ${b.currency}`,
    '',
    'By function (Function Compute)',
    byFunction,
    '',
    'By category',
    byCategory,
    '',
    lines('Function Compute, line by line', b.serverless.lines),
    '',
    lines(`Always-on ECS sized for the peak (${num(b.ecs.peakVcpu, 1)} vCPU at the busiest hour), line by line`, b.ecs.lines),
    '',
    b.unconfirmedPrices.length
      ? `* unconfirmed prices (check before relying on them): ${b.unconfirmedPrices.join(', ')}`
      : 'every price used is confirmed',
    b.assumedFigures.length ? `assumed figures (not measured yet): ${b.assumedFigures.join(', ')}` : 'every figure used is measured',
  ].join('\n');
}

/** The whole breakdown on one line, rounded to the cent (costs) or the unit (usage). */
export function costJsonLine(b: CostBreakdown): string {
  return JSON.stringify(b, (_key, value) => (typeof value === 'number' ? Math.round(value * 100) / 100 : value));
}
