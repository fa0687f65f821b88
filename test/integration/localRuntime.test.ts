/** The local runtime end to end: the built platform process, driven only through HTTP. */
import { signRequest } from '#lib/auth';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { syntheticRatings } from '../models/synthetic';
import { eventually, removeDir, startPlatform, type RunningPlatform } from './platformProcess';

const filesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
const fixture = (name: string) => readFileSync(path.join(__dirname, '../fixtures/fc3/events', name));

interface Status {
  ports: Record<string, string>;
  functions: Array<{
    name: string;
    runtime: string;
    triggers: Array<{ name: string; type: string; url?: string }>;
    recent: Array<{ trigger: string; outcome: string; status?: number; durationMs: number }>;
  }>;
}

// Twenty seconds before the campaign's 10:00 (Beijing) start.
const PINNED = '2026-11-21T09:59:40+08:00';

const PROFILES_CSV = [
  'user_id,phone,consent_granted,tags,attr.nickname',
  ...[1, 2, 3].map((i) => `m${i},1370000000${i + 4},true,member,客${i}`),
  'm4,13700000008,false,member,客4',
].join('\n');
const CAMPAIGN_YAML = `id: morning-hello
name: 早安
schedule: { cron: 0 0 10 * * * }
audience: { rules: [ { has_tag: member } ] }
scoring: { model: none }
control_share: 0
variants: [ { id: a, template_text: "\${name}早，今日新品上架。拒收请回复R", item_strategy: none } ]
budget: { messages: 100 }
channel: { provider: aliyun, sign_name: 示例商城, template_code: SMS_1, kind: promotional, params: { name: profile.nickname } }
`;

let p: RunningPlatform;
beforeAll(async () => {
  p = await startPlatform({ MKT_NOW: PINNED });
  await fetch(`${p.url}/-/oss/mkt-data/imports/profiles/members.csv`, { method: 'PUT', body: PROFILES_CSV });
  await fetch(`${p.url}/-/oss/mkt-data/campaigns/morning-hello.yaml`, { method: 'PUT', body: CAMPAIGN_YAML });
});
afterAll(async () => {
  await p.stop();
  removeDir(p.dir);
});

const status = async (): Promise<Status> => (await fetch(`${p.url}/-/status`)).json() as Promise<Status>;
const recentOf = async (name: string) => (await status()).functions.find((f) => f.name === name)!.recent;

describe('local runtime', () => {
  it('lists every function with its triggers and the adapter behind each port', async () => {
    const s = await status();
    expect(Object.fromEntries(s.functions.map((f) => [f.name, f.triggers.map((t) => `${t.type}:${t.name}`)]))).toEqual({
      ingest: ['http:http'],
      compact: ['timer:every-minute'],
      recommend: ['http:http'],
      train: ['oss:dataset-upload', 'timer:daily'],
      campaign: ['oss:profile-import', 'oss:definitions', 'timer:every-minute'],
      'sms-feedback': ['http:http', 'timer:reconcile'],
    });
    expect(s.ports).toEqual({
      objectStore: expect.stringMatching(/^local:.*mkt-data$/),
      featureStore: 'memory',
      sms: expect.stringMatching(/^outbox:/),
      metrics: 'local',
    });
  });

  it('keeps the object-store route inside its root: bad bucket names, keys and encodings answer 400 and write nothing', async () => {
    const put = (urlPath: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(p.url);
        const req = http.request({ host: url.hostname, port: url.port, method: 'PUT', path: urlPath }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('escaped');
      });
    for (const bad of [
      '/-/oss/../escaped.txt',
      '/-/oss/%2e%2e/escaped.txt',
      '/-/oss/mkt-data/a/../../../escaped.txt',
      '/-/oss/mkt-data/%E0%A4%A',
      '/-/oss/Mkt_Data/x',
      '/-/oss/mkt-data/%2e%2e/%2e%2e/x',
    ]) {
      expect({ bad, status: await put(bad) }).toEqual({ bad, status: 400 });
    }
    expect(filesUnder(p.dir).filter((f) => /escaped|(^|\/)x$/.test(f))).toEqual([]);
    expect(existsSync(path.join(p.dir, '..', 'escaped.txt'))).toBe(false);
    expect(await put('/-/oss/mkt-data/notes/ok.txt')).toBe(200);
  });

  it('routes /<function>/<path> to the function, which sees /<path>', async () => {
    const res = await fetch(`${p.url}/ingest/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, features: 'memory', log: expect.stringMatching(/^journal:/) });
    const rec = await fetch(`${p.url}/recommend/v1/recommend?user_id=u1&n=3`, {
      headers: { ...signRequest('demo', 'demo-secret', 'GET', '/v1/recommend?user_id=u1&n=3', '', Date.parse(PINNED)) },
    });
    expect(await rec.json()).toMatchObject({ items: [], fallback: 'no_model' });
    const recent = await recentOf('recommend');
    expect(recent[0]).toMatchObject({ trigger: 'http', outcome: 'ok', status: 200 });
    expect(recent[0].durationMs).toBeGreaterThanOrEqual(0);
  });

  it("takes an SMS provider's push on sms-feedback's HTTP trigger (a built-in runtime), with the URL's token", async () => {
    const up = JSON.stringify([
      { phone_number: '13912345675', content: 'TD', send_time: '2026-11-21 09:59:00', dest_code: '1234', sequence_id: '1' },
    ]);
    const post = (token: string) =>
      fetch(`${p.url}/sms-feedback/sms/aliyun/reply?token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: up,
      });
    const refused = await post('not-the-local-token-0123456789');
    expect({ status: refused.status, body: await refused.text() }).toEqual({ status: 401, body: '' });
    const taken = await post('local-sms-callback-token');
    expect({ status: taken.status, body: await taken.json() }).toEqual({ status: 200, body: { code: 0, msg: '接收成功' } });
  });

  it('answers 404 for unknown functions and 405 for methods the trigger does not allow', async () => {
    expect((await fetch(`${p.url}/nope/x`)).status).toBe(404);
    expect((await fetch(`${p.url}/train/x`)).status).toBe(404); // train has no HTTP trigger
    expect((await fetch(`${p.url}/ingest/health`, { method: 'DELETE' })).status).toBe(405);
  });

  it('invokes a function with a raw event, as `s invoke --event-file` does', async () => {
    const timer = await fetch(`${p.url}/-/invoke/campaign`, { method: 'POST', body: fixture('timer.json') });
    expect(await timer.json()).toEqual([]); // no campaign is due at 13:49 on that day
    const oss = await fetch(`${p.url}/-/invoke/train`, { method: 'POST', body: fixture('oss.json') });
    expect(await oss.json()).toMatchObject({ dropped: 'no_dataset' });
    const wrong = await fetch(`${p.url}/-/invoke/campaign`, { method: 'POST', body: fixture('http.json') });
    expect(await wrong.json()).toMatchObject({ dropped: 'bad_event' });
    expect((await fetch(`${p.url}/-/invoke/nope`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('fires the OSS trigger whose prefix matches a write: an uploaded dataset trains, registers and promotes a model', async () => {
    await fetch(`${p.url}/-/oss/mkt-data/notes/readme.txt`, { method: 'PUT', body: 'not a dataset' });
    const put = await fetch(`${p.url}/-/oss/mkt-data/datasets/ml/train.rating`, { method: 'PUT', body: syntheticRatings() });
    expect(put.status).toBe(200);
    const run = await eventually(async () => (await recentOf('train')).find((r) => r.trigger === 'dataset-upload'), 30_000);
    expect(run.outcome).toBe('ok');
    expect((await recentOf('train')).filter((r) => r.trigger === 'dataset-upload')).toHaveLength(1);
    const pointer = await fetch(`${p.url}/-/oss/mkt-data/models/ease/current.json`);
    const { version } = (await pointer.json()) as { version: string };
    const meta = (await (await fetch(`${p.url}/-/oss/mkt-data/models/ease/${version}/meta.json`)).json()) as {
      metrics: Record<string, number>;
    };
    expect(meta.metrics['hr@10']).toBeGreaterThan(0.5);
  }, 40_000);

  it(
    'fires timers on their cron expression, on the clock MKT_NOW ' + 'pinned: the 10:00 campaign reaches the provider (the outbox)',
    async () => {
      const validation = await (await fetch(`${p.url}/-/oss/mkt-data/campaign-reports/validation/morning-hello.yaml.json`)).json();
      expect(validation).toMatchObject({ ok: true, errors: [] });
      const outbox = path.join(p.dir, 'sms-outbox.jsonl');
      const lines = await eventually(
        async () =>
          existsSync(outbox)
            ? readFileSync(outbox, 'utf8')
                .trim()
                .split('\n')
                .map((l) => JSON.parse(l))
            : undefined,
        30_000,
      );
      expect(lines.map((l: { phone: string; params: { name: string } }) => [l.phone, l.params.name]).sort()).toEqual([
        ['137****0005', '客1'],
        ['137****0006', '客2'],
        ['137****0007', '客3'],
      ]);
      const run = (await recentOf('campaign')).find((r) => r.trigger === 'every-minute');
      expect(run?.outcome).toBe('ok');
      // The marketer's report of that run, as `npm run campaign -- report morning-hello --run …` asks for it.
      const command = { command: 'report', campaign: 'morning-hello', run: '2026-11-21T02:00:00.000Z' };
      const report = await (await fetch(`${p.url}/-/invoke/campaign`, { method: 'POST', body: JSON.stringify(command) })).json();
      expect(report).toMatchObject({
        audience: 4,
        sent: 3,
        suppressed: { no_consent: 1 },
        files: ['campaign-reports/runs/morning-hello@2026-11-21T02:00:00.000Z.json', expect.stringMatching(/\.html$/)],
      });
    },
  );
});

describe('local runtime configuration', () => {
  it('refuses to start on a wrong setting, naming it', async () => {
    const run = promisify(execFile);
    const err = await run(process.execPath, [path.resolve(__dirname, '../../dist/local/start.js')], {
      env: { PATH: process.env.PATH, MKT_SMS_PROVIDER: 'twilio' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toContain('MKT_SMS_PROVIDER must be one of outbox, aliyun, tencent');
  });
});
