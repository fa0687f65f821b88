/**
 * The items a campaign recently messaged each person about, which recommend puts last: read
 * from the contact ledger and kept on the instance for a short while. A message shapes a
 * person's lists for days, so noticing it up to KEEP_MS late costs nothing, and the requests
 * of one browsing session then cost no read beyond the first.
 */
import { within } from '#lib/deadline';
import { messagedItems, type ContactHistory } from '#lib/contacts';
import type { Logger } from '#lib/log';

const DAY_MS = 86_400_000;
export const KEEP_MS = 30_000;
const MAX_PEOPLE = 100_000;
const NONE: ReadonlySet<string> = new Set();

export class MessagedItems {
  /** In insertion order, so the oldest entry is the first to go. */
  private readonly kept = new Map<string, { items: ReadonlySet<string>; until: number }>();

  constructor(
    private readonly ledger: Pick<ContactHistory, 'contactsOf'>,
    /** Messages within this many days count (0: none do, and the ledger is never read). */
    private readonly days: number,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {}

  /** Never throws: when the ledger is slow or down the list is ranked without it. */
  async of(userKey: string, budgetMs: number): Promise<ReadonlySet<string>> {
    if (this.days === 0) return NONE;
    const now = this.clock();
    const hit = this.kept.get(userKey);
    if (hit && hit.until > now) return hit.items;
    try {
      const [contacts] = await within(this.ledger.contactsOf([userKey], now - this.days * DAY_MS), budgetMs);
      const items = messagedItems(contacts);
      this.keep(userKey, { items: items.size > 0 ? items : NONE, until: now + KEEP_MS });
      return items;
    } catch (err) {
      this.logger.warn('contact history unavailable; not demoting messaged items', { err: (err as Error).message });
      return NONE;
    }
  }

  private keep(userKey: string, entry: { items: ReadonlySet<string>; until: number }) {
    this.kept.delete(userKey);
    if (this.kept.size >= MAX_PEOPLE) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(userKey, entry);
  }
}
