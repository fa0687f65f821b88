/**
 * The contact ledger: who a campaign run decided on and what became of each send, the
 * contact caps every campaign shares, and each run's budget. A person is claimed for a run
 * before anything is sent to them, atomically, so a replayed or concurrent run never sends
 * twice; a claim without an outcome means the send may have gone out, and is never repeated.
 */

export type PersonState =
  | { status: 'claimed'; at: number }
  | { status: 'control' }
  | { status: 'suppressed'; reason: string }
  | { status: 'sent'; variant: string; messageId: string; segments: number }
  | { status: 'failed'; variant: string; code: string; failure: string };

export interface RunProgress {
  /** The profile scan's position after the last page done. */
  cursor?: string;
  done: boolean;
  /** Set while quiet hours hold the rest of the run back. */
  deferredUntil?: number;
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

export interface ContactLedger {
  readonly describe: string;
  /** Per person: true when claimed for this run now, false when an earlier or concurrent attempt holds them. */
  claim(run: string, userIds: string[], at: number): Promise<boolean[]>;
  /** Records what became of claimed people. */
  settle(run: string, states: Map<string, PersonState>): Promise<void>;
  people(run: string): Promise<Map<string, PersonState>>;
  /** Per person: one more contact within the caps shared by every campaign (Asia/Shanghai days, weeks from Monday), or false. */
  reserveContacts(userIds: string[], nowMs: number, caps: ContactCaps): Promise<boolean[]>;
  /** How many of these messages, in order, the run's budget still pays for (each reserved as granted). */
  reserveBudget(run: string, costEach: number[], limits: BudgetLimits): Promise<number>;
  progress(run: string): Promise<RunProgress>;
  saveProgress(run: string, progress: RunProgress): Promise<void>;
  close(): Promise<void>;
}
