/**
 * The profile store port: who may be messaged and how. A record holds the phone only sealed
 * (phoneVault.ts) with its lookup hash; the store never sees a number in clear.
 */

export interface Consent {
  granted: boolean;
  /** When it was given or withdrawn, epoch ms: a later statement wins. */
  at: number;
  /** Where it was given: `miniprogram`, `store`, `import:<file>`, `reply:R`, … */
  source: string;
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

export interface ProfileStore {
  readonly describe: string;
  /** Writes whole records (the caller merged them) and keeps the phone index in step. */
  put(profiles: StoredProfile[]): Promise<void>;
  get(userIds: string[]): Promise<(StoredProfile | undefined)[]>;
  /** The user a phone's lookup hash belongs to. */
  userOfPhone(phoneHash: string): Promise<string | undefined>;
  /** Every profile, a page at a time, in no particular order (a profile written meanwhile may be missed or seen twice). */
  scan(cursor?: string, count?: number): Promise<ProfilePage>;
  close(): Promise<void>;
}
