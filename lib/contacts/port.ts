/**
 * The contact ledger, in three roles: the run ledger (who a campaign run decided on and what
 * became of each send, its progress and budget), the contact history (each person's contacts and
 * the caps every campaign shares) and the delivery ledger (what carriers reported). A person is
 * claimed for a run before anything is sent to them, atomically, so a replayed or concurrent run
 * never sends twice; a claim without an outcome means the send may have gone out, and is never
 * repeated.
 */

export type PersonState =
  | { status: 'claimed'; at: number }
  | { status: 'control' }
  | { status: 'suppressed'; reason: string }
  | { status: 'sent'; variant: string; messageId: string; segments: number; item?: string }
  /** `attempts`: how many times the provider refused a `defer` failure (flow control), retried within the run. */
  | { status: 'failed'; variant: string; code: string; failure: string; attempts?: number };

/**
 * One contact with a person, on any channel, in the person's history (kept CONTACT_RETENTION_MS):
 * a campaign's message (noted when sent, and again when the carrier reports on it) or items
 * recommend showed (exposure events through ingest).
 */
export interface Contact {
  channel: 'sms' | 'shown';
  at: number;
  /** The items shown, or the item a message named. */
  items: string[];
  campaign?: string;
  run?: string;
  variant?: string;
  /** sms: `sent`, then `delivered` or `undelivered:<carrier code>`. */
  outcome?: string;
  /** What the message cost: as counted when sent, as billed once the receipt gives its segments. */
  costMilliYuan?: number;
}

export const CONTACT_RETENTION_MS = 30 * 86_400_000;

export interface RunProgress {
  /** The profile scan's position after the last page done. */
  cursor?: string;
  done: boolean;
  /** Set while quiet hours hold the rest of the run back. */
  deferredUntil?: number;
  /** Set on a run split into chunks: how many (each keeps its own progress, `<run>#<index>`). */
  chunks?: number;
  /** Why the run stopped before deciding everyone (`deadline`): it is done, and the report says so. */
  stopped?: string;
}

export interface ContactCaps {
  perDay: number;
  perWeek: number;
}

export interface BudgetLimits {
  messages?: number;
  /** Yuan × 1000 (SMS prices are fractions of a fen). */
  milliYuan?: number;
}

/** A campaign run's own record: whom it claimed and what it decided for each, how far it got, and what it spent. */
export interface RunLedger {
  /** Per person: true when claimed for this run now, false when an earlier or concurrent attempt holds them. */
  claim(run: string, userIds: string[], at: number): Promise<boolean[]>;
  /** Records what became of claimed people. */
  settle(run: string, states: Map<string, PersonState>): Promise<void>;
  /** Per person: true when their send was refused for flow control (`defer`) and is claimed again now, for one more try. */
  reclaimDeferred(run: string, userIds: string[], at: number): Promise<boolean[]>;
  people(run: string): Promise<Map<string, PersonState>>;
  /** These people's states in a run (undefined for one it never claimed). */
  statesOf(run: string, userIds: string[]): Promise<(PersonState | undefined)[]>;
  /** A run's people, a page of about `count` at a time: pass `next` back; undefined once all were returned. */
  scanPeople(run: string, cursor?: string, count?: number): Promise<{ people: [string, PersonState][]; next?: string }>;
  /** How many of these messages, in order, the run's budget still pays for (each reserved as granted). */
  reserveBudget(run: string, costEach: number[], limits: BudgetLimits): Promise<number>;
  /** Gives back what these messages reserved of the run's budget: they were never sent (refused, failed for good). */
  refundBudget(run: string, costEach: number[]): Promise<void>;
  /** What the run's budget has paid for so far, every attempt and chunk together. */
  spent(run: string): Promise<{ messages: number; milliYuan: number }>;
  progress(run: string): Promise<RunProgress>;
  saveProgress(run: string, progress: RunProgress): Promise<void>;
  /**
   * Holds `key` (a run, or a chunk's progress key) for `holder` for `ttlMs`, so two workers never
   * drive it at once: true when it was free or already this holder's (then renewed).
   */
  lease(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Whether someone holds `key` now. */
  leased(key: string): Promise<boolean>;
  /** Lets `key` go, if `holder` still holds it. */
  unlease(key: string, holder: string): Promise<void>;
}

/** Each person's contacts, across every campaign and channel, and the caps they all share. */
export interface ContactHistory {
  /** Per person: one more contact within the caps shared by every campaign (Asia/Shanghai days, weeks from Monday), or false. */
  reserveContacts(userIds: string[], nowMs: number, caps: ContactCaps): Promise<boolean[]>;
  /** Gives back one contact reserved at `reservedAtMs` (same day and week) for each of these people: they were never messaged. */
  releaseContacts(userIds: string[], reservedAtMs: number): Promise<void>;
  /** Adds to each person's contact history (a contact noted twice is kept once); older than the retention is dropped. */
  noteContacts(contacts: [string, Contact][]): Promise<void>;
  /** Each person's contacts since `sinceMs`, oldest first. */
  contactsOf(userIds: string[], sinceMs: number): Promise<Contact[][]>;
}

/** What the carriers said of each send (lib/contacts/settlement.ts), and how far each run is reconciled. */
export interface DeliveryLedger {
  /** Keeps each person's delivery unless the one kept stands (settlement.ts `replacesDelivery`); per entry, whether it was kept. */
  recordDeliveries(run: string, deliveries: [string, Delivery][]): Promise<boolean[]>;
  deliveriesOf(run: string, userIds: string[]): Promise<(Delivery | undefined)[]>;
  /** Runs that claimed anyone at or after `sinceMs`: when they first and last claimed, and how far they are reconciled. */
  runsSince(sinceMs: number): Promise<RunActivity[]>;
  /** Every send the run claimed up to `throughMs` is settled: reconciliation passes it by until it claims again. */
  markReconciled(run: string, throughMs: number): Promise<void>;
}

/** The one store behind the three roles; each adapter (Redis, memory) keeps all three, and each use case names only the roles it uses. */
export interface ContactLedger extends RunLedger, ContactHistory, DeliveryLedger {
  readonly describe: string;
  close(): Promise<void>;
}

/** What the carrier said of one person's message in a run (issue 17): a pushed receipt, or the provider's query API. */
export interface Delivery {
  outcome: 'delivered' | 'undelivered';
  /** The carrier's status code (`DELIVERED`, `DELIVRD`, `MK:0001`…), or `not_sent` / `no_record` when the provider has no such message. */
  code: string;
  description?: string;
  /** When the carrier reported it (for `no_record`: when that was concluded), epoch ms. */
  at: number;
  provider: string;
  /** The provider's id of the message (Alibaba BizId, Tencent SerialNo). */
  messageId?: string;
  /** Billed segments, when the provider says. */
  segments?: number;
  /** `no_record`: the provider's query found no such message. */
  via: 'receipt' | 'query' | 'no_record';
}

/** A run's claims in time, for reconciliation: noted with each claim attempt (a replay's too). */
export interface RunActivity {
  run: string;
  firstClaimAt: number;
  lastClaimAt: number;
  /** markReconciled's last `throughMs`. */
  reconciledThrough?: number;
}
