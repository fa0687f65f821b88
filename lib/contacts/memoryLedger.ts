/** The embedded contact ledger: this process's memory (the default when REDIS_URL is unset). */
import { affordable, dayOf, weekOf } from './buckets';
import {
  CONTACT_RETENTION_MS,
  type BudgetLimits,
  type Contact,
  type ContactCaps,
  type ContactLedger,
  type Delivery,
  type PersonState,
  type RunActivity,
  type RunProgress,
} from './port';
import { replacesDelivery } from './settlement';

export class MemoryContactLedger implements ContactLedger {
  readonly describe = 'memory';
  private readonly runs = new Map<string, Map<string, PersonState>>();
  private readonly contacts = new Map<string, number>();
  private readonly histories = new Map<string, Contact[]>();
  private readonly budgets = new Map<string, { messages: number; milliYuan: number }>();
  private readonly progresses = new Map<string, RunProgress>();
  private readonly deliveries = new Map<string, Map<string, Delivery>>();
  private readonly activity = new Map<string, RunActivity>();

  private people_(run: string) {
    return this.runs.get(run) ?? this.runs.set(run, new Map()).get(run)!;
  }

  async claim(run: string, userIds: string[], at: number): Promise<boolean[]> {
    const people = this.people_(run);
    if (userIds.length > 0) this.noteClaims(run, at);
    return userIds.map((id) => !people.has(id) && Boolean(people.set(id, { status: 'claimed', at })));
  }

  async reclaimDeferred(run: string, userIds: string[], at: number): Promise<boolean[]> {
    const people = this.people_(run);
    return userIds.map((id) => {
      const state = people.get(id);
      if (state?.status !== 'failed' || state.failure !== 'defer') return false;
      people.set(id, { status: 'claimed', at });
      return true;
    });
  }

  async settle(run: string, states: Map<string, PersonState>): Promise<void> {
    const people = this.people_(run);
    for (const [id, state] of states) people.set(id, state);
  }

  async people(run: string): Promise<Map<string, PersonState>> {
    return new Map(this.people_(run));
  }

  async reserveContacts(userIds: string[], nowMs: number, caps: ContactCaps): Promise<boolean[]> {
    return userIds.map((id) => {
      const [day, week] = [`${id}:d:${dayOf(nowMs)}`, `${id}:w:${weekOf(nowMs)}`];
      if ((this.contacts.get(day) ?? 0) >= caps.perDay || (this.contacts.get(week) ?? 0) >= caps.perWeek) return false;
      this.contacts.set(day, (this.contacts.get(day) ?? 0) + 1);
      this.contacts.set(week, (this.contacts.get(week) ?? 0) + 1);
      return true;
    });
  }

  async releaseContacts(userIds: string[], reservedAtMs: number): Promise<void> {
    for (const id of userIds)
      for (const key of [`${id}:d:${dayOf(reservedAtMs)}`, `${id}:w:${weekOf(reservedAtMs)}`])
        this.contacts.set(key, Math.max(0, (this.contacts.get(key) ?? 0) - 1));
  }

  async refundBudget(run: string, costEach: number[]): Promise<void> {
    const used = this.budgets.get(run) ?? { messages: 0, milliYuan: 0 };
    const refund = costEach.reduce((a, b) => a + b, 0);
    this.budgets.set(run, { messages: Math.max(0, used.messages - costEach.length), milliYuan: Math.max(0, used.milliYuan - refund) });
  }

  async reserveBudget(run: string, costEach: number[], limits: BudgetLimits): Promise<number> {
    const used = this.budgets.get(run) ?? { messages: 0, milliYuan: 0 };
    const granted = affordable(used, costEach, limits);
    this.budgets.set(run, {
      messages: used.messages + granted,
      milliYuan: used.milliYuan + costEach.slice(0, granted).reduce((a, b) => a + b, 0),
    });
    return granted;
  }

  async noteContacts(contacts: [string, Contact][]): Promise<void> {
    for (const [userId, contact] of contacts) {
      const kept = (this.histories.get(userId) ?? []).filter(
        (c) => c.at > contact.at - CONTACT_RETENTION_MS && JSON.stringify(c) !== JSON.stringify(contact),
      );
      this.histories.set(
        userId,
        [...kept, { ...contact }].sort((a, b) => a.at - b.at),
      );
    }
  }

  async contactsOf(userIds: string[], sinceMs: number): Promise<Contact[][]> {
    return userIds.map((id) => (this.histories.get(id) ?? []).filter((c) => c.at >= sinceMs).map((c) => ({ ...c })));
  }

  async spent(run: string): Promise<{ messages: number; milliYuan: number }> {
    return { ...(this.budgets.get(run) ?? { messages: 0, milliYuan: 0 }) };
  }

  private readonly leases = new Map<string, { holder: string; until: number }>();

  async lease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const held = this.leases.get(key);
    if (held && held.holder !== holder && held.until > Date.now()) return false;
    this.leases.set(key, { holder, until: Date.now() + ttlMs });
    return true;
  }

  async leased(key: string): Promise<boolean> {
    return (this.leases.get(key)?.until ?? 0) > Date.now();
  }

  async unlease(key: string, holder: string): Promise<void> {
    if (this.leases.get(key)?.holder === holder) this.leases.delete(key);
  }

  async progress(run: string): Promise<RunProgress> {
    return { ...(this.progresses.get(run) ?? { done: false }) };
  }

  async saveProgress(run: string, progress: RunProgress): Promise<void> {
    this.progresses.set(run, { ...progress });
  }

  async close(): Promise<void> {}

  private noteClaims(run: string, at: number) {
    const a = this.activity.get(run);
    this.activity.set(run, {
      ...a,
      run,
      firstClaimAt: Math.min(a?.firstClaimAt ?? at, at),
      lastClaimAt: Math.max(a?.lastClaimAt ?? at, at),
    });
  }

  private deliveries_(run: string) {
    return this.deliveries.get(run) ?? this.deliveries.set(run, new Map()).get(run)!;
  }

  async statesOf(run: string, userIds: string[]): Promise<(PersonState | undefined)[]> {
    const people = this.runs.get(run);
    return userIds.map((id) => people?.get(id));
  }

  async scanPeople(run: string, cursor = '0', count = 1000): Promise<{ people: [string, PersonState][]; next?: string }> {
    const all = [...(this.runs.get(run) ?? new Map<string, PersonState>())];
    const from = Number(cursor);
    return { people: all.slice(from, from + count), next: from + count < all.length ? String(from + count) : undefined };
  }

  async recordDeliveries(run: string, deliveries: [string, Delivery][]): Promise<boolean[]> {
    const kept = this.deliveries_(run);
    return deliveries.map(([id, d]) => replacesDelivery(kept.get(id), d) && Boolean(kept.set(id, { ...d })));
  }

  async deliveriesOf(run: string, userIds: string[]): Promise<(Delivery | undefined)[]> {
    const kept = this.deliveries.get(run);
    return userIds.map((id) => kept?.get(id));
  }

  async runsSince(sinceMs: number): Promise<RunActivity[]> {
    return [...this.activity.values()].filter((a) => a.lastClaimAt >= sinceMs).map((a) => ({ ...a }));
  }

  async markReconciled(run: string, throughMs: number): Promise<void> {
    const a = this.activity.get(run);
    if (a) a.reconciledThrough = Math.max(a.reconciledThrough ?? throughMs, throughMs);
  }
}
