/**
 * Opt-out by reply: the words in their usual variants (and only as whole replies), each provider's
 * reply push read as documented, the consent withdrawn for every campaign with its proof, a later
 * statement winning, and the next campaign run suppressing the person (`no_consent`).
 */
import { runCampaign, type RunDeps } from '../../functions/campaign/runCampaign';
import type { Select } from '../../functions/campaign/selection';
import { createLogger } from '#lib/log';
import { aliyunReply } from '#lib/sms/aliyunFeedback';
import { AliyunSmsSender } from '#lib/sms/aliyunSms';
import { isOptOut, OPT_OUT_WORDS } from '#lib/sms/optOut';
import { tencentReply } from '#lib/sms/tencentFeedback';
import { sendBatchSmsAction, startAlibabaRpcFake, TEST_AK, type SendBatchSmsAction } from '../wire/alibabaRpc';
import type { HttpFake } from '../wire/httpFake';
import { feedback, fixture, logged, phoneOf, type Feedback } from './harness';
import { testCampaign } from '../fixtures/campaign';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { importProfiles } from '../../functions/campaign/importProfiles';

describe('what means stop', () => {
  it('takes R, TD, T, N and 退订 in any case, full width, with spaces or punctuation around', () => {
    expect(OPT_OUT_WORDS).toEqual(['R', 'TD', 'T', 'N', '退订']);
    for (const reply of [
      'R',
      'r',
      'ｒ',
      'Ｒ',
      ' td ',
      'TD',
      'Td',
      'ＴＤ',
      't',
      'T。',
      'n',
      'N!',
      '退订',
      '退订。',
      ' 退订！',
      '"R"',
      'R\n',
      '【TD】',
    ])
      expect([reply, isOptOut(reply)]).toEqual([reply, true]);
  });

  it('does not take a sentence that merely holds one of them, or anything else', () => {
    for (const reply of ['', ' ', 'R哥你好', '不要退订', '好的', 'TD123', 'RT', 'no', '退', '订', 'Y', '1'])
      expect([reply, isOptOut(reply)]).toEqual([reply, false]);
  });
});

describe("the providers' reply pushes", () => {
  it('reads Alibaba SmsUp and Tencent reply callbacks as documented', () => {
    expect(aliyunReply(fixture<unknown[]>('aliyun-sms-up.json')[0])).toEqual({
      provider: 'aliyun',
      phone: '+8613812345678',
      text: '退订',
      at: Date.parse('2026-11-30T10:05:00+08:00'),
      signName: undefined,
      extension: '1234',
      replyId: '1234567890',
    });
    expect(tencentReply(fixture('tencent-reply-callback.json'))).toEqual({
      provider: 'tencent',
      phone: '+8613812345678',
      text: 'TD',
      at: Date.parse('2026-11-30T10:05:00+08:00'),
      signName: '示例商城',
      extension: undefined,
    });
  });
});

const MORNING = Date.parse('2026-11-30T10:00:00+08:00');
const everyone: Select = async (profiles) => profiles;
const campaign = testCampaign({ control_share: 0 });

describe('a reply that means stop', () => {
  let h: Feedback;
  let fake: HttpFake;
  let action: SendBatchSmsAction;
  const deps = (): RunDeps => ({
    profiles: h.profiles,
    ledger: h.ledger,
    sms: new AliyunSmsSender({ credentials: () => TEST_AK, signName: '示例商城', endpoint: fake.url }),
    policy: { caps: { perDay: 5, perWeek: 10 }, quiet: { fromMin: 20 * 60, toMin: 8 * 60 }, qps: 1000, priceMilliYuan: 45 },
    clock: () => MORNING,
    logger: createLogger({}, () => undefined),
  });
  const sentTo = () => new Set(action.accepted.map((p) => p.replace(/^\+?86/, '')));
  const aliyunUp = (i: number, content: string, sendTime = '2026-11-30 10:05:00') => ({
    ...fixture<Record<string, unknown>[]>('aliyun-sms-up.json')[0],
    phone_number: phoneOf(i),
    content,
    send_time: sendTime,
    sequence_id: `seq-${i}`,
  });
  const tencentUp = (i: number, text: string, time = Date.parse('2026-11-30T10:06:00+08:00') / 1000) => ({
    ...fixture<Record<string, unknown>>('tencent-reply-callback.json'),
    mobile: phoneOf(i),
    text,
    time,
  });

  beforeEach(async () => {
    action = sendBatchSmsAction();
    fake = await startAlibabaRpcFake('2017-05-25', { SendBatchSms: action });
    h = feedback({ clock: () => MORNING + 10 * 60_000 });
    await h.profiles.upsert(
      Array.from({ length: 10 }, (_, i) => ({
        userId: `u${i}`,
        phone: `+86${phoneOf(i)}`,
        consentSms: { granted: true, at: 1, source: 'miniprogram' },
        tags: ['member'],
        attributes: { nickname: `客${i}` },
      })),
    );
  });
  afterEach(async () => {
    await fake.close();
    await h.teardown();
  });

  it('withdraws consent for every campaign at once, with its proof; the next run suppresses the person (no_consent)', async () => {
    await runCampaign(deps(), campaign, 'first', everyone);
    expect(sentTo().size).toBe(10);

    const aliyun = await h.post('/sms/aliyun/reply', [aliyunUp(3, '退订。'), aliyunUp(4, '好的，谢谢')]);
    expect(JSON.parse(aliyun.body)).toEqual({ code: 0, msg: '接收成功' });
    const tencent = await h.post('/sms/tencent/reply', tencentUp(5, 'ｔｄ'));
    expect(JSON.parse(tencent.body)).toEqual({ result: 0, errmsg: 'OK' });
    expect(logged(h.logs, 'sms callback taken').map((l) => [l.optOuts, l.other])).toEqual([
      [1, 1],
      [1, 0],
    ]);

    const [u3, u4, u5] = await h.profiles.store.get(['u3', 'u4', 'u5']);
    expect(u3!.consentSms).toEqual({
      history: [{ granted: true, at: 1, source: 'miniprogram' }],
      granted: false,
      at: Date.parse('2026-11-30T10:05:00+08:00'),
      source: 'reply:退订',
      evidence: {
        provider: 'aliyun',
        text: '退订。',
        receivedAt: expect.any(Number),
        extension: '1234',
        replyId: 'seq-3',
        signName: undefined,
      },
    });
    expect(u4!.consentSms).toMatchObject({ granted: true, source: 'miniprogram' });
    expect(u5!.consentSms).toMatchObject({
      granted: false,
      source: 'reply:TD',
      evidence: { provider: 'tencent', text: 'ｔｄ', signName: '示例商城' },
    });

    action.accepted.length = 0;
    const next = await runCampaign(deps(), campaign, 'second', everyone);
    expect(next.suppressed).toEqual({ no_consent: 2 });
    expect([...sentTo()].sort()).toEqual([0, 1, 2, 4, 6, 7, 8, 9].map(phoneOf).sort());
    const people = await h.ledger.statesOf('hello@second', ['u3', 'u5']);
    expect(people).toEqual([
      { status: 'suppressed', reason: 'no_consent' },
      { status: 'suppressed', reason: 'no_consent' },
    ]);
  });

  it('lets a later statement win: an old reply pushed again does not undo a newer consent', async () => {
    await h.post('/sms/aliyun/reply', [aliyunUp(7, 'R', '2026-11-30 10:05:00')]);
    // The person consents again afterwards (e.g. in the mini-program).
    const regranted = { granted: true, at: Date.parse('2026-11-30T12:00:00+08:00'), source: 'miniprogram' };
    await h.profiles.upsert([{ userId: 'u7', consentSms: regranted }]);
    await h.post('/sms/aliyun/reply', [aliyunUp(7, 'R', '2026-11-30 10:05:00')]);
    expect(logged(h.logs, 'sms callback taken').at(-1)).toMatchObject({ optOuts: 0, superseded: 1 });
    expect((await h.profiles.store.get(['u7']))[0]!.consentSms).toMatchObject(regranted);
    // A newer opt-out wins again.
    await h.post('/sms/tencent/reply', tencentUp(7, 'N', Date.parse('2026-11-30T13:00:00+08:00') / 1000));
    expect((await h.profiles.store.get(['u7']))[0]!.consentSms).toMatchObject({
      granted: false,
      source: 'reply:N',
      at: Date.parse('2026-11-30T13:00:00+08:00'),
    });
  });

  it('keeps an opt-out through a re-import of the same list; only a newer opt-in of the person, with its own time, lifts it', async () => {
    await h.post('/sms/aliyun/reply', [aliyunUp(3, 'TD', '2026-11-30 10:05:00')]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-optout-'));
    const objects = new LocalObjectStore(dir, 'mkt-data');
    const reimport = async (name: string, csv: string) => {
      await objects.put(`imports/profiles/${name}`, Buffer.from(csv));
      return importProfiles(
        { objects, profiles: h.profiles, clock: () => MORNING + 3600_000, logger: createLogger({}, () => undefined) },
        `imports/profiles/${name}`,
      );
    };
    try {
      const row = (consentAt: string) => `u3,${phoneOf(3)},true,${consentAt},member,客3`;
      // The nightly CRM sync, without consent times, and with one older than the reply: both rows taken, the opt-out kept.
      expect(await reimport('sync.csv', `user_id,phone,consent_granted,consent_at,tags,attr.nickname\n${row('')}`)).toMatchObject({
        accepted: 1,
      });
      expect(
        await reimport('old.csv', `user_id,phone,consent_granted,consent_at,tags,attr.nickname\n${row('2026-11-30T09:00:00+08:00')}`),
      ).toMatchObject({
        accepted: 1,
      });
      const [kept] = await h.profiles.store.get(['u3']);
      expect(kept!.consentSms).toMatchObject({ granted: false, source: 'reply:TD' });
      action.accepted.length = 0;
      expect((await runCampaign(deps(), campaign, 'after-sync', everyone)).suppressed).toEqual({ no_consent: 1 });
      expect(sentTo().has(phoneOf(3))).toBe(false);

      // The person opts in again in the mini-program, later: that lifts it, and the history keeps all three.
      const optIn = { granted: true, at: Date.parse('2026-11-30T12:00:00+08:00'), source: 'miniprogram' };
      await h.profiles.upsert([{ userId: 'u3', consentSms: optIn }]);
      const [lifted] = await h.profiles.store.get(['u3']);
      expect(lifted!.consentSms).toMatchObject({
        ...optIn,
        history: [
          { granted: true, at: 1 },
          { granted: false, source: 'reply:TD' },
        ],
      });
      action.accepted.length = 0;
      await runCampaign(deps(), campaign, 'after-opt-in', everyone);
      expect(sentTo().has(phoneOf(3))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts an opt-out from a number no profile has, and skips a malformed reply alone', async () => {
    const reply = await h.post('/sms/aliyun/reply', [
      aliyunUp(3, 'TD'),
      { ...aliyunUp(4, 'TD'), phone_number: '13912345675' },
      { phone_number: phoneOf(5), send_time: '2026-11-30 10:05:00' },
    ]);
    expect(reply.statusCode).toBe(200);
    expect(logged(h.logs, 'sms callback taken').at(-1)).toMatchObject({ items: 3, malformed: 1, optOuts: 1, unknownNumbers: 1 });
    expect((await h.profiles.store.get(['u5']))[0]!.consentSms).toMatchObject({ granted: true });
  });
});
