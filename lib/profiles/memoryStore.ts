/** The embedded profile store: records in this process (the default when REDIS_URL is unset). */
import type { ProfilePage, ProfileStore, StoredProfile } from './port';

export class MemoryProfileStore implements ProfileStore {
  readonly describe = 'memory';
  private readonly profiles = new Map<string, StoredProfile>();
  private readonly byPhone = new Map<string, string>();

  async put(profiles: StoredProfile[]): Promise<void> {
    for (const p of profiles) {
      const old = this.profiles.get(p.userId);
      if (old?.phoneHash && old.phoneHash !== p.phoneHash && this.byPhone.get(old.phoneHash) === p.userId) this.byPhone.delete(old.phoneHash);
      this.profiles.set(p.userId, structuredClone(p));
      if (p.phoneHash) this.byPhone.set(p.phoneHash, p.userId);
    }
  }

  async get(userIds: string[]): Promise<(StoredProfile | undefined)[]> {
    return userIds.map((id) => {
      const p = this.profiles.get(id);
      return p && structuredClone(p);
    });
  }

  async userOfPhone(phoneHash: string): Promise<string | undefined> {
    return this.byPhone.get(phoneHash);
  }

  async scan(cursor = '0', count = 1000): Promise<ProfilePage> {
    const all = [...this.profiles.values()];
    const from = Number(cursor);
    const page = all.slice(from, from + count).map((p) => structuredClone(p));
    return { profiles: page, next: from + count < all.length ? String(from + count) : undefined };
  }

  async close(): Promise<void> {}
}
