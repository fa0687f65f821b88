/**
 * The profile store port: who may be messaged and how. A record holds the phone only sealed
 * (phoneVault.ts) with its lookup hash; the store never sees a number in clear.
 */
import { createHash } from 'node:crypto';

export interface Consent {
  granted: boolean;
  /** When it was given or withdrawn, epoch ms: a later statement wins. */
  at: number;
  /** Set when the statement came without a time of its own (an import, a sync): `at` is when it reached us. */
  timeInferred?: true;
  /** Where it was given: `miniprogram`, `store`, `import:<file>`, `reply:R`, … */
  source: string;
  /** For a statement made by replying to an SMS: the proof, as the provider gave it. */
  evidence?: ReplyEvidence;
  /** The statements this one replaced, oldest first (at most CONSENT_HISTORY). */
  history?: Omit<Consent, 'history'>[];
}

/** A consent statement as it arrives: its time may be missing (then it is the time it reached us). */
export type ConsentStatement = Omit<Consent, 'at' | 'timeInferred' | 'history'> & { at?: number };

const CONSENT_HISTORY = 20;

/**
 * The consent that holds after `next`: the later statement wins, except that a withdrawal (an
 * opt-out by reply, unsubscribe or operator) is lifted only by a later grant with a time of its
 * own; a grant that came without one (an import or sync re-sending its list) never overrides it.
 * The replaced statement joins the history.
 */
export function consentAfter(old: Consent | undefined, next: ConsentStatement, receivedAt: number): Consent | undefined {
  const { at, ...rest } = next;
  const statement: Consent = at === undefined ? { ...rest, at: receivedAt, timeInferred: true } : { ...rest, at };
  if (!old) return statement;
  const { history = [], ...current } = old;
  if (statement.at < old.at) return old;
  if (!old.granted && statement.granted && statement.timeInferred) return old;
  return { ...statement, history: [...history, current].slice(-CONSENT_HISTORY) };
}

/** What proves a consent statement made by SMS reply. */
export interface ReplyEvidence {
  provider: string;
  /** The reply as received. */
  text: string;
  /** When it reached us (the statement's own time is the consent's `at`). */
  receivedAt: number;
  /** The message it answered, as far as the provider tells: its sign name, its extension code. */
  signName?: string;
  extension?: string;
  /** The provider's id of the reply. */
  replyId?: string;
}

export type AttributeValue = string | number | boolean;

export interface StoredProfile {
  userId: string;
  phoneSealed?: string;
  phoneHash?: string;
  consentSms?: Consent;
  tags: string[];
  attributes: Record<string, AttributeValue>;
  updatedAt: number;
}

export interface ProfilePage {
  profiles: StoredProfile[];
  /** Pass back to read on; undefined once every profile was returned. */
  next?: string;
}

/**
 * Profiles are kept in a fixed number of parts by a hash of the user id, so a campaign run can
 * split its audience into chunks that are ranges of parts: a chunk is a reference a few bytes
 * long, and each worker reads only its own parts.
 */
export const PROFILE_PARTS = 1024;

export const partOf = (userId: string): number => createHash('md5').update(userId).digest().readUInt32BE(0) % PROFILE_PARTS;

/** Parts `from` (inclusive) to `to` (exclusive). */
export interface PartRange {
  from: number;
  to: number;
}

export const ALL_PARTS: PartRange = { from: 0, to: PROFILE_PARTS };

export interface ProfileStore {
  readonly describe: string;
  /** Writes whole records (the caller merged them) and keeps the phone index in step. */
  put(profiles: StoredProfile[]): Promise<void>;
  get(userIds: string[]): Promise<(StoredProfile | undefined)[]>;
  /** The user a phone's lookup hash belongs to. */
  userOfPhone(phoneHash: string): Promise<string | undefined>;
  /**
   * Every profile of the parts (all by default), a page of about `count` at a time (a profile written
   * meanwhile may be missed or seen twice).
   */
  scan(cursor?: string, count?: number, parts?: PartRange): Promise<ProfilePage>;
  /** How many profiles there are. */
  count(): Promise<number>;
  close(): Promise<void>;
}
