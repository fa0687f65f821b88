/** One contract, every contact ledger: in-process and Redis (the real one, under a test prefix). */
import { MemoryContactLedger } from '#lib/contacts/memoryLedger';
import { CONTACT_RETENTION_MS, type ContactLedger } from '#lib/contacts/port';
import { RedisContactLedger } from '#lib/contacts/redisLedger';
import { onTestPrefix } from './redisTestPrefix';

const NOON = Date.parse('2026-11-30T12:00:00+08:00'); // a Monday

const adapters: Record<string, () => { ledger: ContactLedger; teardown(): Promise<void> }> = {
  memory: () => ({ ledger: new MemoryContactLedger(), teardown: async () => undefined }),
  redis: () => {
    const { adapter, teardown } = onTestPrefix((url, prefix) => new RedisContactLedger({ url, prefix }));
    return { ledger: adapter, teardown };
  },
};

describe.each(Object.keys(adapters))('contact ledger contract: %s', (name) => {
  let h: ReturnType<(typeof adapters)[string]>;
  beforeEach(() => {
    h = adapters[name]();
  });
  afterEach(() => h.teardown());

  it('claims each person for a run once, whatever the number of attempts and however they interleave', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `u${i}`);
    const attempts = await Promise.all([0, 1, 2].map(() => h.ledger.claim('c1@t1', ids, NOON)));
    ids.forEach((_, i) => expect(attempts.filter((a) => a[i]).length).toBe(1));
    expect(await h.ledger.claim('c1@t1', ['u0', 'new'], NOON)).toEqual([false, true]);
    expect(await h.ledger.claim('c1@t2', ['u0'], NOON)).toEqual([true]);
  });

  it('records what became of each person', async () => {
    await h.ledger.claim('r', ['a', 'b', 'c'], NOON);
    await h.ledger.settle(
      'r',
      new Map([
        ['a', { status: 'sent', variant: 'v1', messageId: 'm', segments: 1 }],
        ['b', { status: 'control' }],
      ]),
    );
    expect(Object.fromEntries(await h.ledger.people('r'))).toEqual({
      a: { status: 'sent', variant: 'v1', messageId: 'm', segments: 1 },
      b: { status: 'control' },
      c: { status: 'claimed', at: NOON },
    });
  });

  it('holds the contact caps across runs: per Asia/Shanghai day, and per week from Monday', async () => {
    const caps = { perDay: 1, perWeek: 2 };
    expect(await h.ledger.reserveContacts(['a', 'b'], NOON, caps)).toEqual([true, true]);
    expect(await h.ledger.reserveContacts(['a'], NOON + 3600_000, caps)).toEqual([false]);
    expect(await h.ledger.reserveContacts(['a'], NOON + 86_400_000, caps)).toEqual([true]);
    expect(await h.ledger.reserveContacts(['a'], NOON + 2 * 86_400_000, caps)).toEqual([false]); // third this week
    expect(await h.ledger.reserveContacts(['a'], NOON + 7 * 86_400_000, caps)).toEqual([true]); // next Monday
  });

  it('gives a released contact back in the day and week it was reserved, never below zero', async () => {
    const caps = { perDay: 1, perWeek: 2 };
    expect(await h.ledger.reserveContacts(['a', 'b'], NOON, caps)).toEqual([true, true]);
    await h.ledger.releaseContacts(['a'], NOON + 60_000);
    expect(await h.ledger.reserveContacts(['a', 'b'], NOON + 3600_000, caps)).toEqual([true, false]);
    await h.ledger.releaseContacts(['c', 'c'], NOON); // never reserved: nothing goes below zero
    expect(await h.ledger.reserveContacts(['c'], NOON, { perDay: 1, perWeek: 1 })).toEqual([true]);
    expect(await h.ledger.reserveContacts(['c'], NOON, { perDay: 1, perWeek: 1 })).toEqual([false]);
  });

  it('leases a run to one holder at a time: renewed by its holder, free again when let go or expired', async () => {
    expect(await h.ledger.leased('r#0')).toBe(false);
    expect(await h.ledger.lease('r#0', 'a', 60_000)).toBe(true);
    expect(await h.ledger.lease('r#0', 'b', 60_000)).toBe(false);
    expect(await h.ledger.lease('r#0', 'a', 60_000)).toBe(true);
    expect(await h.ledger.leased('r#0')).toBe(true);
    await h.ledger.unlease('r#0', 'b'); // not b's to let go
    expect(await h.ledger.lease('r#0', 'b', 60_000)).toBe(false);
    await h.ledger.unlease('r#0', 'a');
    expect(await h.ledger.lease('r#0', 'b', 50)).toBe(true);
    expect(await h.ledger.lease('r#0', 'c', 60_000)).toBe(false);
    while (await h.ledger.leased('r#0')) await new Promise((resolve) => setTimeout(resolve, 10)); // b's 50 ms run out
    expect(await h.ledger.lease('r#0', 'c', 60_000)).toBe(true);
  });

  it('refunds what unsent messages reserved of a budget, so it pays for others', async () => {
    expect(await h.ledger.reserveBudget('r', [10, 10, 10], { messages: 3 })).toBe(3);
    await h.ledger.refundBudget('r', [10, 10]);
    expect(await h.ledger.spent('r')).toEqual({ messages: 1, milliYuan: 10 });
    expect(await h.ledger.reserveBudget('r', [10, 10, 10], { messages: 3 })).toBe(2);
    await h.ledger.refundBudget('never', [5]);
    expect(await h.ledger.spent('never')).toEqual({ messages: 0, milliYuan: 0 });
  });

  it("never lets a run's budget pay for more messages or more money than its limits, across calls", async () => {
    expect(await h.ledger.reserveBudget('r', [5, 5, 5], { messages: 4, milliYuan: 100 })).toBe(3);
    expect(await h.ledger.reserveBudget('r', [5, 5], { messages: 4, milliYuan: 100 })).toBe(1);
    expect(await h.ledger.reserveBudget('r2', [40, 40, 40], { milliYuan: 100 })).toBe(2);
    expect(await h.ledger.reserveBudget('r2', [10, 50], { milliYuan: 100 })).toBe(1);
    expect(await h.ledger.spent('r')).toEqual({ messages: 4, milliYuan: 20 });
    expect(await h.ledger.spent('r2')).toEqual({ messages: 3, milliYuan: 90 });
    expect(await h.ledger.spent('never')).toEqual({ messages: 0, milliYuan: 0 });
  });

  it("keeps each person's contacts on every channel, once each, for the retention only", async () => {
    const sms = {
      channel: 'sms' as const,
      at: NOON,
      items: ['sku-1'],
      campaign: 'c',
      run: 'c@r',
      variant: 'a',
      outcome: 'sent',
      costMilliYuan: 45,
    };
    const shown = { channel: 'shown' as const, at: NOON + 1000, items: ['sku-2', 'sku-3'] };
    await h.ledger.noteContacts([
      ['u1', sms],
      ['u1', shown],
      ['u1', sms],
      ['u2', shown],
    ]);
    expect(await h.ledger.contactsOf(['u1', 'u2', 'u3'], NOON)).toEqual([[sms, shown], [shown], []]);
    expect(await h.ledger.contactsOf(['u1'], NOON + 1)).toEqual([[shown]]);
    const later = { channel: 'shown' as const, at: NOON + CONTACT_RETENTION_MS + 5000, items: ['sku-4'] };
    await h.ledger.noteContacts([['u1', later]]);
    expect(await h.ledger.contactsOf(['u1'], 0)).toEqual([[later]]);
  });

  it('keeps a run’s progress', async () => {
    expect(await h.ledger.progress('r')).toEqual({ done: false });
    await h.ledger.saveProgress('r', { cursor: '42', done: false, deferredUntil: NOON });
    expect(await h.ledger.progress('r')).toEqual({ cursor: '42', done: false, deferredUntil: NOON });
  });
});
