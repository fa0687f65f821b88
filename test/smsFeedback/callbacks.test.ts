/**
 * The providers' delivery-report pushes through sms-feedback's HTTP trigger, in their documented
 * shapes (test/fixtures/sms/): each report lands on its person's ledger entry and settles what
 * was uncertain; a re-push changes nothing; a malformed item is skipped alone; the answer is the
 * provider's; a wrong token or path gets a bare 401 / 404; a failing store a 503 (pushed again).
 */
import { settlementOf, type ContactLedger } from '#lib/contacts';
import { unavailable } from '#lib/errors';
import { feedback, fixture, httpEvent, logged, phoneOf, type Feedback, TOKEN } from './harness';

const RUN_A = 'spring@2026-11-30T02:00:00.000Z';
const RUN_T = 'autumn@2026-11-30T02:00:00.000Z';
const T0 = Date.parse('2026-11-30T10:00:00+08:00');

type Item = Record<string, unknown>;
const aliyunReport = (over: Item): Item => ({ ...fixture<Item[]>('aliyun-sms-report.json')[0], ...over });
const tencentReport = (over: Item): Item => ({ ...fixture<Item[]>('tencent-status-callback.json')[0], ...over });

let h: Feedback;

beforeEach(async () => {
  h = feedback({ clock: () => T0 + 60_000 });
  await h.profiles.upsert(
    Array.from({ length: 6 }, (_, i) => ({
      userId: `u${i}`,
      phone: `+86${phoneOf(i)}`,
      consentSms: { granted: true, at: 1, source: 'test' },
      tags: [],
      attributes: {},
    })),
  );
  // Alibaba run: u0 sent (its batch's BizId), u1's batch timed out, u2's process died before an outcome.
  await h.ledger.claim(RUN_A, ['u0', 'u1', 'u2'], T0);
  await h.ledger.settle(
    RUN_A,
    new Map([
      ['u0', { status: 'sent', variant: 'a', messageId: 'biz-1', segments: 1 }],
      ['u1', { status: 'failed', variant: 'a', code: 'timeout', failure: 'uncertain' }],
    ]),
  );
  // Tencent run: u3 sent (its SerialNo), u4 claimed without an outcome.
  await h.ledger.claim(RUN_T, ['u3', 'u4'], T0);
  await h.ledger.settle(RUN_T, new Map([['u3', { status: 'sent', variant: 'a', messageId: '2433:sid-3', segments: 1 }]]));
});
afterEach(() => h.teardown());

const settlements = async (ledger: ContactLedger, run: string, ids: string[]) => {
  const [states, deliveries] = await Promise.all([ledger.statesOf(run, ids), ledger.deliveriesOf(run, ids)]);
  return ids.map((_, i) => settlementOf(states[i], deliveries[i]));
};
const lastTaken = () => logged(h.logs, 'sms callback taken').at(-1);

describe('Alibaba SmsReport', () => {
  const push = [
    aliyunReport({ phone_number: phoneOf(0), out_id: `${RUN_A}|u0`, biz_id: 'biz-1' }),
    // The batch's one OutId names its first person; the number names this one.
    aliyunReport({
      phone_number: phoneOf(1),
      out_id: `${RUN_A}|u0`,
      biz_id: 'biz-2',
      success: false,
      err_code: 'MK:0001',
      err_msg: '用户关机',
    }),
    aliyunReport({ phone_number: phoneOf(2), out_id: `${RUN_A}|u0`, biz_id: 'biz-3', sms_size: '2' }),
    { phone_number: phoneOf(0), report_time: '2026-11-30 10:00:05' },
    aliyunReport({ phone_number: '12345' }),
    aliyunReport({ phone_number: '13912345675', out_id: `${RUN_A}|u0` }),
    aliyunReport({ phone_number: phoneOf(5), out_id: 'other@2026-11-01T00:00:00.000Z|u5' }),
  ];

  it('records each report on its person, settling the uncertain; skips the malformed; answers as Alibaba expects', async () => {
    const reply = await h.post('/sms/aliyun/report', push);
    expect({ ...reply, body: JSON.parse(reply.body) }).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: { code: 0, msg: '接收成功' },
    });
    expect(await h.ledger.deliveriesOf(RUN_A, ['u0', 'u1', 'u2'])).toEqual([
      {
        outcome: 'delivered',
        code: 'DELIVERED',
        description: '用户接收成功',
        at: Date.parse('2026-11-30T10:00:05+08:00'),
        provider: 'aliyun',
        messageId: 'biz-1',
        segments: 1,
        via: 'receipt',
      },
      {
        outcome: 'undelivered',
        code: 'MK:0001',
        description: '用户关机',
        at: Date.parse('2026-11-30T10:00:05+08:00'),
        provider: 'aliyun',
        messageId: 'biz-2',
        segments: 1,
        via: 'receipt',
      },
      expect.objectContaining({ outcome: 'delivered', messageId: 'biz-3', segments: 2 }),
    ]);
    expect(await settlements(h.ledger, RUN_A, ['u0', 'u1', 'u2'])).toEqual(['delivered', 'undelivered', 'delivered']);
    // The person's contact history has the outcome and the cost as billed (2 segments at 45).
    const [, , [u2]] = await h.ledger.contactsOf(['u0', 'u1', 'u2'], 0);
    expect(u2).toMatchObject({ channel: 'sms', run: RUN_A, campaign: RUN_A.split('@')[0], outcome: 'delivered', costMilliYuan: 90 });
    expect((await h.ledger.contactsOf(['u1'], 0))[0][0].outcome).toBe('undelivered:MK:0001');
    expect(lastTaken()).toMatchObject({ items: 7, malformed: 2, recorded: 3, duplicates: 0, unmatched: 2 });
    expect(logged(h.logs, 'sms callback item skipped').map((l) => [l.index, l.code])).toEqual([
      [3, 'invalid_success'],
      [4, 'invalid_phone'],
    ]);
  });

  it('takes a re-push (providers re-push what they are unsure of) as duplicates: nothing changes', async () => {
    await h.post('/sms/aliyun/report', push);
    const before = await h.ledger.deliveriesOf(RUN_A, ['u0', 'u1', 'u2']);
    const again = await h.post('/sms/aliyun/report', push);
    expect(again.statusCode).toBe(200);
    expect(lastTaken()).toMatchObject({ recorded: 0, duplicates: 3, unmatched: 2 });
    expect(await h.ledger.deliveriesOf(RUN_A, ['u0', 'u1', 'u2'])).toEqual(before);
  });

  it("leaves an uncertain send alone for a report without our out id: another system's message to the same person", async () => {
    await h.post('/sms/aliyun/report', [aliyunReport({ phone_number: phoneOf(2), out_id: '', biz_id: 'verification-code' })]);
    expect(lastTaken()).toMatchObject({ recorded: 0, unmatched: 1 });
    expect(await settlements(h.ledger, RUN_A, ['u2'])).toEqual(['uncertain']);
  });
});

describe('Tencent status callback', () => {
  it("matches a report by the send's sid, or else to the person's uncertain send; never to another run's settled send", async () => {
    const reply = await h.post('/sms/tencent/report', [
      tencentReport({ mobile: phoneOf(3), sid: '2433:sid-3' }),
      tencentReport({
        mobile: phoneOf(4),
        sid: '2433:never-told',
        report_status: 'FAIL',
        errmsg: 'UNDELIV',
        description: '用户不在服务区',
      }),
      tencentReport({ mobile: phoneOf(0), sid: '2433:not-ours' }),
      tencentReport({ mobile: phoneOf(3), report_status: 'MAYBE' }),
    ]);
    expect({ ...reply, body: JSON.parse(reply.body) }).toMatchObject({ statusCode: 200, body: { result: 0, errmsg: 'OK' } });
    expect(await h.ledger.deliveriesOf(RUN_T, ['u3', 'u4'])).toEqual([
      {
        outcome: 'delivered',
        code: 'DELIVRD',
        description: '用户短信送达成功',
        at: Date.parse('2026-11-30T10:00:05+08:00'),
        provider: 'tencent',
        messageId: '2433:sid-3',
        via: 'receipt',
      },
      expect.objectContaining({ outcome: 'undelivered', code: 'UNDELIV', messageId: '2433:never-told' }),
    ]);
    expect(await h.ledger.deliveriesOf(RUN_A, ['u0'])).toEqual([undefined]);
    expect(lastTaken()).toMatchObject({ items: 4, malformed: 1, recorded: 2, unmatched: 1 });
  });
});

describe('who may push', () => {
  it('answers a wrong or missing token with a bare 401, and any other path or method with a bare 404', async () => {
    const body = [aliyunReport({ phone_number: phoneOf(0) })];
    expect(await h.post('/sms/aliyun/report', body, { token: 'wrong-token-0123456789abcdef0' })).toEqual({ statusCode: 401, body: '' });
    expect(await h.post('/sms/aliyun/report', body, { token: TOKEN.slice(1) })).toEqual({ statusCode: 401, body: '' });
    expect(await h.post('/sms/aliyun/report', body, {})).toEqual({ statusCode: 401, body: '' });
    expect(await h.post('/sms/aliyun/delivery', body)).toEqual({ statusCode: 404, body: '' });
    expect(await h.post('/', body)).toEqual({ statusCode: 404, body: '' });
    expect(await h.invoke(httpEvent('/sms/aliyun/report', '', { token: TOKEN }, 'GET'))).toEqual({ statusCode: 404, body: '' });
    expect(await h.ledger.deliveriesOf(RUN_A, ['u0'])).toEqual([undefined]);
    expect(h.logs.join('\n')).not.toContain('wrong-token');
    expect(h.logs.join('\n')).not.toContain(TOKEN);
  });

  it('refuses a body that is not JSON with a bare 400', async () => {
    expect(await h.post('/sms/tencent/report', 'user_receive_time=2026')).toEqual({ statusCode: 400, body: '' });
  });

  it("answers 503 in the provider's format when the ledger fails, so the provider pushes again", async () => {
    const failing = new Proxy(h.ledger, {
      get: (target, key) =>
        key === 'statesOf'
          ? async () => Promise.reject(unavailable('contact_ledger_unavailable', 'Redis people failed'))
          : Reflect.get(target, key),
    });
    const down = feedback({ ledger: failing, clock: () => T0 + 60_000 });
    try {
      await down.profiles.upsert([{ userId: 'u0', phone: `+86${phoneOf(0)}`, tags: [], attributes: {} }]);
      const reply = await down.post('/sms/aliyun/report', [aliyunReport({ phone_number: phoneOf(0), out_id: `${RUN_A}|u0` })]);
      expect({ statusCode: reply.statusCode, body: JSON.parse(reply.body) }).toEqual({
        statusCode: 503,
        body: { code: 1, msg: '稍后重试' },
      });
      const tencent = await down.post('/sms/tencent/report', [tencentReport({ mobile: phoneOf(0) })]);
      expect({ statusCode: tencent.statusCode, body: JSON.parse(tencent.body) }).toEqual({
        statusCode: 503,
        body: { result: 1, errmsg: 'retry later' },
      });
    } finally {
      await down.teardown();
    }
  });

  it('masks every number in its log lines', async () => {
    await h.post('/sms/aliyun/report', [aliyunReport({ phone_number: '13912345675', out_id: 'x' }), { phone_number: phoneOf(1) }]);
    await h.post('/sms/tencent/reply', { ...fixture<Item>('tencent-reply-callback.json'), mobile: '13912345675' });
    expect(h.logs.length).toBeGreaterThan(0);
    expect(h.logs.filter((l) => /1[3-9]\d{9}/.test(l))).toEqual([]);
  });
});
