/**
 * The contact ledger's delivery feedback (issue 17), one contract for every ledger: in-process and
 * Redis (the real one, under a test prefix). Deliveries per person and run (a re-push is a
 * duplicate, a later statement wins, evidence beats having found none), people read a few at a
 * time or a page at a time, and the runs in time for reconciliation.
 */
import { MemoryContactLedger } from '#lib/contacts/memoryLedger';
import type { ContactLedger, Delivery } from '#lib/contacts/port';
import { RedisContactLedger } from '#lib/contacts/redisLedger';
import { outIdOf, runOfOutId, settlementOf } from '#lib/contacts/settlement';
import { onTestPrefix } from './redisTestPrefix';

const NOON = Date.parse('2026-11-30T12:00:00+08:00');

const adapters: Record<string, () => { ledger: ContactLedger; teardown(): Promise<void> }> = {
  memory: () => ({ ledger: new MemoryContactLedger(), teardown: async () => undefined }),
  redis: () => {
    const { adapter, teardown } = onTestPrefix((url, prefix) => new RedisContactLedger({ url, prefix }));
    return { ledger: adapter, teardown };
  },
};

const delivered = (over: Partial<Delivery> = {}): Delivery => ({
  outcome: 'delivered',
  code: 'DELIVERED',
  at: NOON + 5000,
  provider: 'aliyun',
  messageId: 'biz-1',
  via: 'receipt',
  ...over,
});

describe.each(Object.keys(adapters))('contact ledger deliveries: %s', (name) => {
  let h: ReturnType<(typeof adapters)[string]>;
  beforeEach(() => {
    h = adapters[name]();
  });
  afterEach(() => h.teardown());

  it('reads some people of a run, and all of them a page at a time', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `u${i}`);
    await h.ledger.claim('r', ids, NOON);
    await h.ledger.settle('r', new Map([['u1', { status: 'control' }]]));
    expect(await h.ledger.statesOf('r', ['u0', 'u1', 'nobody'])).toEqual([
      { status: 'claimed', at: NOON },
      { status: 'control' },
      undefined,
    ]);
    expect(await h.ledger.statesOf('no-such-run', ['u0'])).toEqual([undefined]);
    const seen = new Map<string, unknown>();
    let cursor: string | undefined;
    do {
      const page = await h.ledger.scanPeople('r', cursor, 100);
      page.people.forEach(([id, state]) => seen.set(id, state));
      cursor = page.next;
    } while (cursor !== undefined);
    expect(seen.size).toBe(250);
    expect(seen.get('u1')).toEqual({ status: 'control' });
    expect(await h.ledger.scanPeople('no-such-run')).toEqual({ people: [] });
  });

  it('keeps one delivery per person and run: a re-push changes nothing, a later statement wins, an older one does not', async () => {
    expect(
      await h.ledger.recordDeliveries('r', [
        ['a', delivered()],
        ['b', delivered({ outcome: 'undelivered', code: 'MK:0001' })],
      ]),
    ).toEqual([true, true]);
    expect(await h.ledger.recordDeliveries('r', [['a', delivered()]])).toEqual([false]);
    // The same message, a later verdict (a corrected status): it wins; an older one does not.
    expect(await h.ledger.recordDeliveries('r', [['b', delivered({ at: NOON + 9000 })]])).toEqual([true]);
    expect(await h.ledger.recordDeliveries('r', [['b', delivered({ outcome: 'undelivered', code: 'UNDELIV', at: NOON })]])).toEqual([
      false,
    ]);
    expect(await h.ledger.deliveriesOf('r', ['a', 'b', 'c'])).toEqual([delivered(), delivered({ at: NOON + 9000 }), undefined]);
    expect(await h.ledger.deliveriesOf('other', ['a'])).toEqual([undefined]);
  });

  it('lets evidence of a message replace having found none, whenever it was reported', async () => {
    const none: Delivery = { outcome: 'undelivered', code: 'not_sent', at: NOON + 3600_000, provider: 'aliyun', via: 'no_record' };
    expect(await h.ledger.recordDeliveries('r', [['a', none]])).toEqual([true]);
    expect(await h.ledger.recordDeliveries('r', [['a', none]])).toEqual([false]);
    expect(await h.ledger.recordDeliveries('r', [['a', delivered()]])).toEqual([true]);
    expect(await h.ledger.deliveriesOf('r', ['a'])).toEqual([delivered()]);
  });

  it('knows the runs that claimed since a time: first and last claim (a replay counts), and how far each is reconciled', async () => {
    await h.ledger.claim('r1', ['a', 'b'], NOON);
    await h.ledger.claim('r1', ['c'], NOON + 60_000);
    await h.ledger.claim('r1', ['a'], NOON + 120_000); // a replay: nobody new, but it did try
    await h.ledger.claim('r1', ['d'], NOON - 60_000); // a late writer with an older clock
    await h.ledger.claim('r2', ['a'], NOON - 86_400_000);
    expect(await h.ledger.runsSince(NOON - 1)).toEqual([{ run: 'r1', firstClaimAt: NOON - 60_000, lastClaimAt: NOON + 120_000 }]);
    await h.ledger.markReconciled('r1', NOON + 120_000);
    const all = await h.ledger.runsSince(0);
    expect(all.sort((x, y) => x.run.localeCompare(y.run))).toEqual([
      { run: 'r1', firstClaimAt: NOON - 60_000, lastClaimAt: NOON + 120_000, reconciledThrough: NOON + 120_000 },
      { run: 'r2', firstClaimAt: NOON - 86_400_000, lastClaimAt: NOON - 86_400_000 },
    ]);
  });
});

describe('settlement', () => {
  it('settles a send from its state and its delivery; only a proven failure may be retried', () => {
    expect(settlementOf({ status: 'claimed', at: 1 })).toBe('uncertain');
    expect(settlementOf({ status: 'failed', variant: 'a', code: 'timeout', failure: 'uncertain' })).toBe('uncertain');
    expect(settlementOf({ status: 'sent', variant: 'a', messageId: 'm', segments: 1 })).toBe('accepted');
    expect(settlementOf({ status: 'failed', variant: 'a', code: 'isv.BUSINESS_LIMIT_CONTROL', failure: 'defer' })).toBe('refused');
    expect(settlementOf({ status: 'suppressed', reason: 'no_consent' })).toBe('not_contacted');
    expect(settlementOf({ status: 'control' })).toBe('not_contacted');
    expect(settlementOf({ status: 'claimed', at: 1 }, delivered())).toBe('delivered');
    expect(settlementOf({ status: 'claimed', at: 1 }, delivered({ outcome: 'undelivered' }))).toBe('undelivered');
  });

  it("reads the run out of our out id, and nothing out of another's", () => {
    expect(runOfOutId(outIdOf('spring@2026-11-30T02:00:00.000Z', 'u|42'))).toBe('spring@2026-11-30T02:00:00.000Z');
    expect(runOfOutId('67890')).toBeUndefined();
    expect(runOfOutId('|u1')).toBeUndefined();
  });
});
