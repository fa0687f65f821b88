/**
 * Profiles: the contact data campaigns message. `ProfileBook` merges updates into stored
 * records (a later consent statement wins; given tags replace; given attributes merge), seals
 * phones before they reach the store and opens them only for sending.
 */
import { now } from '#lib/clock';
import { phoneKeyOf, redisUrlOf, usesRedis, type Config } from '#lib/config';
import { processShared } from '#lib/processShared';
import type { ProfileUpdate } from './contract';
import { MemoryProfileStore } from './memoryStore';
import { PhoneVault } from './phoneVault';
import { consentAfter, type Consent, type ProfileStore, type StoredProfile } from './port';
import { RedisProfileStore } from './redisStore';

export { MAX_PROFILES, validateProfiles, type ProfileRejection, type ProfileUpdate } from './contract';
export { profilePages } from './pages';
export { e164, PhoneVault } from './phoneVault';
export type { Consent, ProfileStore, ReplyEvidence, StoredProfile } from './port';

export class ProfileBook {
  constructor(
    readonly store: ProfileStore,
    private readonly vault: PhoneVault,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Applies updates in order (a user named twice gets both, the later on top), received at `at` (a statement without a time takes it). */
  async upsert(updates: ProfileUpdate[], at = this.clock()): Promise<void> {
    const ids = [...new Set(updates.map((u) => u.userId))];
    const found = await this.store.get(ids);
    const stored = new Map(ids.map((id, i) => [id, found[i]]));
    for (const u of updates) stored.set(u.userId, this.merged(stored.get(u.userId), u, at));
    await this.store.put([...stored.values()].filter((p): p is StoredProfile => p !== undefined));
  }

  private merged(old: StoredProfile | undefined, u: ProfileUpdate, at: number): StoredProfile {
    const consent = u.consentSms ? consentAfter(old?.consentSms, u.consentSms, at) : old?.consentSms;
    const phone = u.phone === undefined ? {} : { phoneSealed: this.vault.seal(u.phone), phoneHash: this.vault.lookupHash(u.phone) };
    return {
      userId: u.userId,
      phoneSealed: old?.phoneSealed,
      phoneHash: old?.phoneHash,
      ...phone,
      consentSms: consent,
      tags: u.tags ?? old?.tags ?? [],
      attributes: { ...old?.attributes, ...u.attributes },
      updatedAt: at,
    };
  }

  /** The profile's number in E.164, for sending only. */
  phoneOf(p: StoredProfile): string | undefined {
    return p.phoneSealed === undefined ? undefined : this.vault.open(p.phoneSealed);
  }

  /** Whose number this is (opt-out replies arrive by number). */
  userOfPhone(phone: string): Promise<string | undefined> {
    return this.store.userOfPhone(this.vault.lookupHash(phone));
  }

  /**
   * Withdraws SMS consent (every campaign's at once) for whoever has this number (E.164), found by
   * its keyed hash. A later statement wins: `applied` is false when the profile holds a newer one.
   */
  async withdrawSmsConsent(phone: string, statement: Omit<Consent, 'granted'>): Promise<{ userId?: string; applied: boolean }> {
    const userId = await this.userOfPhone(phone);
    if (!userId) return { applied: false };
    const [old] = await this.store.get([userId]);
    if (old?.consentSms && old.consentSms.at > statement.at) return { userId, applied: false };
    await this.upsert([{ userId, consentSms: { granted: false, ...statement } }]);
    return { userId, applied: true };
  }
}

/** The profile book the configuration names: Redis when it is configured, else in this process; one per process. */
export function profileBookFrom(c: Config): ProfileBook {
  const store = usesRedis(c)
    ? processShared(`profiles:${c.redisUrl}:${c.redisPrefix}`, () => new RedisProfileStore({ url: redisUrlOf(c), prefix: c.redisPrefix }))
    : processShared('profiles:memory', () => new MemoryProfileStore());
  return new ProfileBook(store, new PhoneVault(phoneKeyOf(c)), now);
}
