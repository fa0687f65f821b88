/** The embedded contact ledger: this process's memory (the default when REDIS_URL is unset). */
import { affordable, dayOf, weekOf } from './buckets';
import type { BudgetLimits, ContactCaps, ContactLedger, PersonState, RunProgress } from './port';

export class MemoryContactLedger implements ContactLedger {
  readonly describe = 'memory';
  private readonly runs = new Map<string, Map<string, PersonState>>();
  private readonly contacts = new Map<string, number>();
  private readonly budgets = new Map<string, { messages: number; milliYuan: number }>();
  private readonly progresses = new Map<string, RunProgress>();

  private people_(run: string) {
    return this.runs.get(run) ?? this.runs.set(run, new Map()).get(run)!;
  }

  async claim(run: string, userIds: string[], at: number): Promise<boolean[]> {
    const people = this.people_(run);
    return userIds.map((id) => !people.has(id) && Boolean(people.set(id, { status: 'claimed', at })));
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

  async reserveBudget(run: string, costEach: number[], limits: BudgetLimits): Promise<number> {
    const used = this.budgets.get(run) ?? { messages: 0, milliYuan: 0 };
    const granted = affordable(used, costEach, limits);
    this.budgets.set(run, { messages: used.messages + granted, milliYuan: used.milliYuan + costEach.slice(0, granted).reduce((a, b) => a + b, 0) });
    return granted;
  }

  async progress(run: string): Promise<RunProgress> {
    return { ...(this.progresses.get(run) ?? { done: false }) };
  }

  async saveProgress(run: string, progress: RunProgress): Promise<void> {
    this.progresses.set(run, { ...progress });
  }

  async close(): Promise<void> {}
}
