/**
 * `GET /-/dashboard`: one self-contained page (no script or style from anywhere else) that
 * charts the last hour of `/-/metrics.json` and the projected monthly cost (`/-/cost.json`),
 * refreshing itself every five seconds. Each chart's SVG carries `data-points`, the number of
 * values it drew, so a browser test can tell an empty chart from one with data.
 */
const CHARTS = [
  { id: 'latency', title: 'Latency p99 (ms) by function', kind: 'line' },
  { id: 'throughput', title: 'Invocations per minute by function', kind: 'line' },
  { id: 'errors', title: 'Errors, 429s and 503s per minute', kind: 'line' },
  { id: 'fallbacks', title: 'Recommendations per minute by fallback', kind: 'line' },
  { id: 'business', title: 'Items shown, clicked and bought per minute', kind: 'line' },
  { id: 'funnel', title: 'Campaign funnel (this hour)', kind: 'bar' },
  { id: 'costFunction', title: 'Projected monthly cost by function (npm run cost, example profile)', kind: 'bar' },
  { id: 'costCategory', title: 'Projected monthly cost by category (npm run cost, example profile)', kind: 'bar' },
];

const SCRIPT = `
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const W = 560, H = 220, L = 48, B = 24;
const svgNs = 'http://www.w3.org/2000/svg';
const el = (name, attrs, text) => {
  const e = document.createElementNS(svgNs, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
};
const noData = (svg) => svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', fill: '#888' }, 'no data yet'));
const label = (x, y, text, anchor = 'start') => el('text', { x, y, 'text-anchor': anchor, 'font-size': 10 }, text);
const minuteOf = (t) => Math.floor(t / 60000) * 60000;

/** name -> [[minute, value]] summing (per minute) or keeping the last value of the datums chosen. */
function series(data, pick, keyOf, sum) {
  const out = {};
  for (const d of data) {
    if (!pick(d)) continue;
    const key = keyOf(d), m = minuteOf(d.time);
    const points = (out[key] = out[key] || new Map());
    points.set(m, sum ? (points.get(m) || 0) + d.value : d.value);
  }
  return Object.fromEntries(Object.entries(out).map(([k, m]) => [k, [...m].sort((a, b) => a[0] - b[0])]));
}

function lineChart(svg, named) {
  svg.replaceChildren();
  const all = Object.values(named).flat();
  svg.dataset.points = String(all.length);
  if (all.length === 0) return void noData(svg);
  const t0 = Math.min(...all.map((p) => p[0])), t1 = Math.max(...all.map((p) => p[0]), t0 + 60000);
  const vmax = Math.max(...all.map((p) => p[1]), 1e-9);
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - 8), y = (v) => H - B - (v / vmax) * (H - B - 8);
  const axis = (x1, y1, x2, y2) => el('line', { x1, y1, x2, y2, stroke: '#999' });
  svg.append(axis(L, H - B, W - 8, H - B), axis(L, 8, L, H - B));
  svg.append(label(L - 4, 16, vmax.toPrecision(3), 'end'), label(L - 4, H - B, '0', 'end'));
  const hhmm = (t) => new Date(t).toISOString().slice(11, 16);
  svg.append(label(L, H - 6, hhmm(t0)), label(W - 8, H - 6, hhmm(t1), 'end'));
  Object.entries(named).forEach(([name, points], i) => {
    const color = COLORS[i % COLORS.length];
    const path = points.map((p) => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ');
    // A single point is drawn as a short segment, so it shows.
    const drawn = points.length === 1 ? path + ' ' + (x(points[0][0]) + 6).toFixed(1) + ',' + y(points[0][1]).toFixed(1) : path;
    svg.append(el('polyline', { points: drawn, fill: 'none', stroke: color, 'stroke-width': 3 }));
    points.forEach((p) => svg.append(el('circle', { cx: x(p[0]), cy: y(p[1]), r: 3, fill: color })));
    svg.append(el('text', { x: L + 8 + (i % 3) * 170, y: 18 + Math.floor(i / 3) * 13, fill: color, 'font-size': 11 }, name));
  });
}

function barChart(svg, entries) {
  svg.replaceChildren();
  svg.dataset.points = String(entries.filter((e) => e[1] > 0).length);
  if (entries.length === 0) return void noData(svg);
  const vmax = Math.max(...entries.map((e) => e[1]), 1e-9), band = (H - 8) / entries.length;
  entries.forEach(([label, value], i) => {
    const w = (value / vmax) * (W - 180);
    svg.append(el('text', { x: 128, y: 8 + band * i + band * 0.65, 'text-anchor': 'end', 'font-size': 11 }, label));
    const top = 8 + band * i;
    svg.append(el('rect', { x: 134, y: top + band * 0.15, width: Math.max(w, 1), height: band * 0.7, fill: COLORS[i % COLORS.length] }));
    const shown = value >= 100 ? Math.round(value).toLocaleString() : value.toPrecision(3);
    svg.append(el('text', { x: 138 + w, y: top + band * 0.65, 'font-size': 11 }, shown));
  });
}

const totals = (data, name, keyOf) => {
  const out = {};
  for (const d of data) if (d.name === name) out[keyOf(d)] = (out[keyOf(d)] || 0) + d.value;
  return out;
};

async function refresh() {
  const data = await (await fetch('/-/metrics.json')).json();
  const chart = (id) => document.querySelector('svg[data-chart="' + id + '"]');
  lineChart(chart('latency'), series(data, (d) => d.name === 'DurationMsP99', (d) => d.dimensions.function, false));
  lineChart(chart('throughput'), series(data, (d) => d.name === 'Invocations', (d) => d.dimensions.function, true));
  lineChart(chart('errors'), series(data, (d) => ['Errors', 'Throttled', 'Unavailable'].includes(d.name), (d) => d.name, true));
  lineChart(chart('fallbacks'), series(data, (d) => d.name === 'Recommendations', (d) => d.dimensions.fallback, true));
  lineChart(chart('business'), series(data, (d) => ['ItemExposures', 'ItemClicks', 'Conversions'].includes(d.name), (d) => d.name, true));
  const decided = totals(data, 'CampaignDecisions', (d) => d.dimensions.status);
  const delivered = totals(data, 'SmsDelivered', () => 'delivered');
  barChart(chart('funnel'), [
    ['audience', Object.values(decided).reduce((a, b) => a + b, 0)],
    ['control', decided.control || 0],
    ['suppressed', decided.suppressed || 0],
    ['sent', decided.sent || 0],
    ['failed', decided.failed || 0],
    ['delivered', delivered.delivered || 0],
  ]);
  const cost = await fetch('/-/cost.json').then((r) => (r.ok ? r.json() : undefined)).catch(() => undefined);
  if (cost) document.querySelectorAll('[data-currency]').forEach((e) => (e.textContent = ', ' + cost.currency));
  barChart(chart('costFunction'), cost ? Object.entries(cost.byFunction) : []);
  barChart(chart('costCategory'), cost ? Object.entries(cost.byCategory) : []);
  const updated = 'updated ' + new Date().toLocaleTimeString() + ' · ' + data.length + ' datums in the last hour';
  document.getElementById('updated').textContent = updated;
}

refresh().catch((err) => (document.getElementById('updated').textContent = 'metrics unavailable: ' + err.message));
setInterval(() => refresh().catch(() => undefined), 5000);
`;

export function dashboardPage(): string {
  const sections = CHARTS.map(
    (c) =>
      `<section><h2>${c.title}${c.id.startsWith('cost') ? '<span data-currency></span>' : ''}</h2><svg data-chart="${c.id}" ` +
      `data-kind="${c.kind}" data-points="0" viewBox="0 0 560 220" width="560" height="220"></svg></section>`,
  ).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>smart-marketing: last hour</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 16px; background: #fafafa; color: #222 }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(580px, 1fr)); gap: 12px }
section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px }
h1 { font-size: 18px; margin: 0 0 4px } h2 { font-size: 13px; margin: 0 0 6px; color: #444 }
#updated { color: #777; margin-bottom: 12px }
</style></head>
<body><h1>smart-marketing platform: the last hour</h1><div id="updated">loading…</div>
<main>
${sections}
</main>
<script>${SCRIPT}</script>
</body></html>`;
}
