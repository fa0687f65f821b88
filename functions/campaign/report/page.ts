/** A run report as one self-contained HTML page: conversion of treated vs control per variant, then the counts. */
import type { RunReport, VariantResult } from './report';

const htmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (n: number, of: number) => (of === 0 ? '—' : `${((100 * n) / of).toFixed(1)}%`);

/** Two bars a variant (treated, control), scaled to the highest rate; the lift and its 95% interval beside them. */
function chart(variants: VariantResult[]): string {
  const rates = variants.flatMap((v) => [v.treated ? v.treatedConverted / v.treated : 0, v.control ? v.controlConverted / v.control : 0]);
  const top = Math.max(...rates, 0.01);
  const rowH = 64;
  const bars = variants
    .map((v, i) => {
      const y = 20 + i * rowH;
      const bar = (rate: number, dy: number, colour: string, label: string) =>
        `<rect x="160" y="${y + dy}" width="${Math.round((rate / top) * 360)}" height="20" fill="${colour}"/><text ` +
        `x="${168 + Math.round((rate / top) * 360)}" y="${y + dy + 15}">${label} ${(rate * 100).toFixed(1)}%</text>`;
      const pts = (x: number) => (x * 100).toFixed(1);
      const interval = v.lift95
        ? `95%: ${pts(v.lift95[0])} to ${pts(v.lift95[1])}`
        : 'no interval yet: every person in each group did the same';
      const lift = v.lift === undefined ? 'lift: not enough people yet' : `lift ${pts(v.lift)} pts (${interval})`;
      const treated = bar(v.treated ? v.treatedConverted / v.treated : 0, 4, '#d9480f', 'treated');
      const control = bar(v.control ? v.controlConverted / v.control : 0, 28, '#868e96', 'control');
      return (
        `<text x="8" y="${y + 24}" font-weight="bold">${htmlEscape(v.variant)}</text>` +
        `<text x="8" y="${y + 44}" font-size="11">${htmlEscape(lift)}</text>${treated}${control}`
      );
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="680" height="${30 + variants.length * rowH}" ` +
    `font-family="sans-serif" font-size="12">${bars}</svg>`
  );
}

const table = (rows: [string, string][]) =>
  `<table>${rows.map(([k, v]) => `<tr><th>${htmlEscape(k)}</th><td>${htmlEscape(v)}</td></tr>`).join('')}</table>`;

export function reportPage(r: RunReport): string {
  const counts: [string, string][] = [
    ['audience', String(r.audience)],
    ['control', `${r.control} (${pct(r.control, r.audience)})`],
    ['sent', String(r.sent)],
    ['uncertain (may have gone out)', String(r.uncertain)],
    ['deferred (refused for flow control on every try)', String(r.deferred)],
    ...Object.entries(r.failed).map(([code, n]): [string, string] => [`failed: ${code}`, String(n)]),
    ...Object.entries(r.suppressed).map(([reason, n]): [string, string] => [`suppressed: ${reason}`, String(n)]),
    ['segments', String(r.segments)],
    ['cost', `¥${r.costYuan.toFixed(2)}`],
  ];
  const delivery: [string, string][] = [
    ['delivered', `${r.delivery.delivered} (${pct(r.delivery.delivered, r.sent)} of sent)`],
    ...Object.entries(r.delivery.undelivered).map(([code, n]): [string, string] => [`undelivered: ${code}`, String(n)]),
    ['awaiting a receipt', String(r.delivery.awaitingReceipt)],
    ['opted out by reply', String(r.delivery.optedOut)],
    ['cost as billed', `¥${r.delivery.actualCostYuan.toFixed(2)}`],
  ];
  const perVariant = r.variants.map((v): [string, string] => [
    v.variant,
    `treated ${v.treatedConverted}/${v.treated} (${pct(v.treatedConverted, v.treated)}), ` +
      `control ${v.controlConverted}/${v.control} (${pct(v.controlConverted, v.control)})`,
  ]);
  const style =
    'body{font-family:sans-serif;margin:2em;color:#212529}table{border-collapse:collapse;margin:1em 0}' +
    'th,td{text-align:left;padding:4px 12px;border-bottom:1px solid #dee2e6}th{font-weight:normal;color:#495057}';
  const running = r.stopped
    ? ` (stopped unfinished: ${htmlEscape(r.stopped)})`
    : r.finished
      ? ''
      : ' (still running: figures are not final)';
  return `<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>${htmlEscape(r.run)}</title>
<style>${style}</style></head>
<body><h1>${htmlEscape(r.campaign)}</h1><p>run ${htmlEscape(r.startedAt)}${running}; purchases within ${r.attributionDays} days count</p>
<h2>Conversion, treated vs control</h2>${chart(r.variants)}${table(perVariant)}
<h2>Run</h2>${table(counts)}<h2>Delivery</h2>${table(delivery)}</body></html>
`;
}
