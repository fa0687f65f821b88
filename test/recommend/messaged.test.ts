/** Recommend's per-instance view of what each person was recently messaged about. */
import type { Contact, ContactLedger } from '#lib/contacts';
import { MemoryContactLedger } from '#lib/contacts/memoryLedger';
import { createLogger } from '#lib/log';
import { KEEP_MS, MessagedItems } from '../../functions/recommend/messaged';

const DAY_MS = 86_400_000;
const logger = createLogger({}, () => undefined);
const sms = (items: string[], at: number): Contact => ({ channel: 'sms', at, items, campaign: 'c', run: 'c@1', outcome: 'sent' });

describe('messaged items', () => {
  let clock: number;
  let reads: number;
  let ledger: MemoryContactLedger;
  const counting = (inner: Pick<ContactLedger, 'contactsOf'>) => ({
    contactsOf: (ids: string[], since: number) => (reads++, inner.contactsOf(ids, since)),
  });

  beforeEach(() => {
    clock = Date.parse('2026-11-30T10:00:00+08:00');
    reads = 0;
    ledger = new MemoryContactLedger();
  });

  it('reads the ledger once per person for KEEP_MS, then again, and counts only the last N days', async () => {
    await ledger.noteContacts([
      ['u1', sms(['old'], clock - 4 * DAY_MS)],
      ['u1', sms(['new'], clock - DAY_MS)],
    ]);
    const messaged = new MessagedItems(counting(ledger), 3, () => clock, logger);
    expect([...(await messaged.of('u1', 50))]).toEqual(['new']);
    await ledger.noteContacts([['u1', sms(['newer'], clock)]]);
    clock += KEEP_MS - 1;
    expect([...(await messaged.of('u1', 50))]).toEqual(['new']); // kept: no read
    expect(reads).toBe(1);
    clock += 1;
    expect([...(await messaged.of('u1', 50))].sort()).toEqual(['new', 'newer']);
    expect(reads).toBe(2);
  });

  it('never reads when demotion is off, and keeps no answer from a failed read', async () => {
    expect((await new MessagedItems(counting(ledger), 0, () => clock, logger).of('u1', 50)).size).toBe(0);
    expect(reads).toBe(0);
    let down = true;
    const flaky = {
      contactsOf: (ids: string[], since: number) => (
        reads++, down ? Promise.reject(new Error('ECONNREFUSED')) : ledger.contactsOf(ids, since)
      ),
    };
    await ledger.noteContacts([['u1', sms(['x'], clock)]]);
    const messaged = new MessagedItems(flaky, 3, () => clock, logger);
    expect((await messaged.of('u1', 50)).size).toBe(0);
    down = false;
    expect([...(await messaged.of('u1', 50))]).toEqual(['x']);
    expect(reads).toBe(2);
  });
});
