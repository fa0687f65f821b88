/**
 * A campaign run survives kill -9: the platform (on Redis, sending through Alibaba SMS's real
 * client to a local server that counts every number) is killed mid-run and restarted; nobody
 * invokes anything: its minute timer finds the run unfinished and unheld (the dead worker's lease
 * has run out) and sends the rest, each person once.
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { postBatch } from '../../scripts/lib/ingestClient';
import { sendBatchSmsAction, startAlibabaRpcFake, TEST_AK } from '../wire/alibabaRpc';
import { eventually, removeDir, startPlatform, type RunningPlatform } from './platformProcess';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PEOPLE = 1200;
const AT = '2026-11-30T10:00:00+08:00';
const CAMPAIGN = `id: kill-test
name: kill
schedule: { at: "2026-12-31T10:00:00+08:00" }
audience: { rules: [ { has_tag: member } ] }
scoring: { model: none }
control_share: 0
variants: [ { id: a, template_text: "\${name}您好。拒收请回复R", item_strategy: none } ]
budget: { messages: 100000 }
channel: { provider: aliyun, sign_name: 示例商城, template_code: SMS_1, kind: promotional, params: { name: profile.nickname } }
`;

it('sends the rest after a SIGKILL mid-run, each person once', async () => {
  const prefix = `mkt-test:${randomUUID()}:`;
  const action = sendBatchSmsAction();
  const provider = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: action });
  const env = {
    REDIS_URL,
    MKT_REDIS_PREFIX: prefix,
    MKT_NOW: AT,
    MKT_SMS_PROVIDER: 'aliyun',
    ALIYUN_SMS_ENDPOINT: provider.url,
    ALIBABA_CLOUD_ACCESS_KEY_ID: TEST_AK.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: TEST_AK.accessKeySecret,
    MKT_SMS_QPS: '4', // 12 batches of 100 take about 3 s: time to kill the run in the middle
    MKT_CAMPAIGN_LEASE_S: '5',
  };
  let p: RunningPlatform = await startPlatform(env);
  const dir = p.dir;
  const redis = new Redis(REDIS_URL);
  try {
    for (let from = 0; from < PEOPLE; from += 400) {
      const profiles = Array.from({ length: 400 }, (_, k) => ({
        user_id: `k${from + k}`,
        phone: `137${String(from + k).padStart(7, '0')}5`,
        consent_sms: { granted: true, at: 1, source: 't' },
        tags: ['member'],
        attributes: { nickname: `客${from + k}` },
      }));
      // Signed on the platform's pinned clock (MKT_NOW).
      expect(
        (await postBatch({ baseUrl: `${p.url}/ingest`, clock: () => Date.parse(AT) }, JSON.stringify({ profiles }), {}, '/v1/profiles'))
          .body,
      ).toMatchObject({ accepted: 400 });
    }
    await fetch(`${p.url}/-/oss/mkt-data/campaigns/kill-test.yaml`, { method: 'PUT', body: CAMPAIGN });
    await eventually(async () =>
      (await fetch(`${p.url}/-/oss/mkt-data/campaign-state/definitions/kill-test.json`)).ok ? true : undefined,
    );

    const run = () =>
      fetch(`${p.url}/-/invoke/campaign`, { method: 'POST', body: JSON.stringify({ command: 'run', campaign: 'kill-test', at: AT }) });
    void run().catch(() => undefined);
    await eventually(async () => (action.accepted.length >= 300 ? true : undefined), 20_000);
    await p.stop('SIGKILL');
    const beforeKill = action.accepted.length;
    expect(beforeKill).toBeLessThan(PEOPLE);

    // Back three minutes later on the platform's clock: the next minute's tick is the first to find the run stalled.
    p = await startPlatform({ ...env, MKT_NOW: '2026-11-30T10:02:50+08:00' }, dir);
    const progressKey = `${prefix}run:{kill-test@2026-11-30T02:00:00.000Z}:progress`;
    await eventually(
      async () => ((JSON.parse((await redis.get(progressKey)) ?? '{}') as { done?: boolean }).done ? true : undefined),
      45_000,
    );
    expect(p.output()).toContain('campaign run resumed');
    const people = Object.values(await redis.hgetall(`${prefix}run:{kill-test@2026-11-30T02:00:00.000Z}:people`)).map(
      (s) => JSON.parse(s) as { status: string },
    );
    const sent = people.filter((s) => s.status === 'sent').length;
    const inFlight = people.filter((s) => s.status === 'claimed').length;
    expect(people.length).toBe(PEOPLE);
    expect(inFlight).toBeLessThanOrEqual(100); // the batch in flight at the kill: uncertain, never resent
    expect(new Set(action.accepted).size).toBe(action.accepted.length); // nobody twice
    expect(action.accepted.length).toBeGreaterThanOrEqual(sent);
    expect(action.accepted.length).toBeLessThanOrEqual(sent + inFlight);
    expect(sent).toBeGreaterThan(beforeKill - 100);
  } finally {
    await p.stop();
    removeDir(dir);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await provider.close();
  }
}, 90_000);
