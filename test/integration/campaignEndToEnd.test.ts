/**
 * The marketer's whole loop in the local runtime, driven as a user drives it: `npm run simulate`
 * sends two weeks of traffic, train learns the propensity model from the raw log, profiles and a
 * scored campaign are uploaded, the minute timer fires the campaign, which fans out over chunk
 * workers through the local runtime's FC API and messages reach the provider (the outbox); more
 * traffic brings purchases, and `npm run campaign -- report` shows treated against control.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RunReport } from '../../functions/campaign/report';
import { eventually, removeDir, startPlatform, type RunningPlatform } from './platformProcess';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
const fixture = (name: string) => readFileSync(path.join(__dirname, '../fixtures/fc3/events', name));
const MINUTE_MS = 60_000;

/** Beijing wall time `hh:mm`, `minutes` from now. */
const beijing = (minutes: number) => new Date(Date.now() + minutes * MINUTE_MS + 8 * 3600_000).toISOString().slice(11, 16);

const PROFILES_CSV = ['user_id,phone,consent_granted,tags,attr.nickname', ...Array.from({ length: 200 }, (_, i) => `user-${i},137${String(i).padStart(7, '0')}6,true,member,客${i}`)].join('\n');

let p: RunningPlatform;
beforeAll(async () => {
  // Quiet hours 12 hours away, so the run goes out whenever this test runs; two profiles a chunk would be too few, 100 makes two chunks.
  p = await startPlatform({ MKT_QUIET_HOURS: `${beijing(720)}-${beijing(721)}`, MKT_CAMPAIGN_CHUNK_SIZE: '100' });
});
afterAll(async () => {
  await p.stop();
  removeDir(p.dir);
});

const cli = (script: string, ...args: string[]) => run(process.execPath, [tsx, script, ...args], { cwd: root, env: { ...process.env, MKT_URL: p.url }, timeout: 120_000 });
const invoke = async (fn: string, body: Buffer | string) => (await fetch(`${p.url}/-/invoke/${fn}`, { method: 'POST', body })).json() as Promise<unknown>;
const put = (key: string, body: string) => fetch(`${p.url}/-/oss/mkt-data/${key}`, { method: 'PUT', body });
const outbox = () => (existsSync(path.join(p.dir, 'sms-outbox.jsonl')) ? readFileSync(path.join(p.dir, 'sms-outbox.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []);

it('simulate, train, upload profiles and a campaign: the timer sends through chunk workers, and the report shows treated against control', async () => {
  await cli('scripts/simulate.ts', '--url', p.url, '--sessions', '900', '--users', '200', '--days', '14');
  await invoke('compact', fixture('timer.json'));
  const trained = (await invoke('train', fixture('timer.json'))) as Array<{ model: string; promoted?: boolean; skipped?: string }>;
  expect(trained.find((t) => t.model === 'propensity')).toMatchObject({ promoted: true });

  await put('imports/profiles/shop.csv', PROFILES_CSV);
  // The first whole minute at least 20 s away, so the upload is scheduled before the timer reaches it.
  const at = Math.ceil((Date.now() + 20_000) / MINUTE_MS) * MINUTE_MS;
  const runId = new Date(at).toISOString();
  await put(
    'campaigns/winback.yaml',
    `id: winback
name: 回购
schedule: { at: "${new Date(at).toISOString()}" }
audience: { rules: [ { has_tag: member } ] }
scoring: { model: propensity, top_k: 120 }
control_share: 0.25
variants: [ { id: a, template_text: "\${name}，您常买的好物补货了。拒收请回复R", item_strategy: none } ]
budget: { messages: 1000 }
channel: { provider: aliyun, sign_name: 示例商城, template_code: SMS_7, kind: promotional, params: { name: profile.nickname } }
`,
  );

  const sent = await eventually(async () => {
    const lines = outbox().filter((l) => String(l.outId).startsWith(`winback@${runId}|`));
    return lines.length > 0 && lines.length === (await treatedCount(runId)) ? lines : undefined;
  }, 150_000);
  expect(sent.every((l) => /^137\*{4}\d{4}$/.test(l.phone))).toBe(true);
  expect(new Set(sent.map((l) => l.outId)).size).toBe(sent.length);
  const fannedOut = (await (await fetch(`${p.url}/-/status`)).json()) as { functions: Array<{ name: string; recent: Array<{ trigger: string }> }> };
  expect(fannedOut.functions.find((f) => f.name === 'campaign')!.recent.filter((r) => r.trigger === 'fc-api').length).toBeGreaterThanOrEqual(2);

  // Purchases after the run, through ingest, then the report.
  await cli('scripts/simulate.ts', '--url', p.url, '--sessions', '600', '--users', '200', '--seed', '8');
  await invoke('compact', fixture('timer.json'));
  const { stdout } = await cli('scripts/campaign.ts', 'report', 'winback', '--run', runId);
  const report = JSON.parse(stdout) as RunReport & { files: string[] };
  expect(report.audience).toBe(120);
  expect(report.sent).toBe(sent.length);
  expect(report.control).toBe(120 - sent.length);
  expect(report.control).toBeGreaterThan(10);
  const [variant] = report.variants;
  expect(variant).toMatchObject({ variant: 'a', treated: sent.length, control: report.control });
  expect(variant.treatedConverted + variant.controlConverted).toBeGreaterThan(0);
  expect(variant.lift95![0]).toBeLessThanOrEqual(variant.lift!);
  expect(variant.lift95![1]).toBeGreaterThanOrEqual(variant.lift!);
  const page = await (await fetch(`${p.url}/-/oss/mkt-data/${report.files[1]}`)).text();
  expect(page).toContain('<svg');
}, 300_000);

async function treatedCount(runId: string): Promise<number> {
  const plan = (await invoke('campaign', JSON.stringify({ command: 'report', campaign: 'winback', run: runId }))) as { sent?: number; uncertain?: number };
  return (plan.sent ?? 0) + (plan.uncertain ?? 0) || -1;
}
