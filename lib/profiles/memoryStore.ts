/** The embedded profile store: records in this process (the default when REDIS_URL is unset). */
import { ALL_PARTS, partOf, PROFILE_PARTS, type PartRange, type ProfilePage, type ProfileStore, type StoredProfile } from './port';
import { pageOfParts } from './parts';

export class MemoryProfileStore implements ProfileStore {
  readonly describe = 'memory';
  private readonly profiles = new Map<string, StoredProfile>();
  private readonly byPhone = new Map<string, string>();
  private readonly parts = Array.from({ length: PROFILE_PARTS }, () => new Set<string>());

  async put(profiles: StoredProfile[]): Promise<void> {
    for (const p of profiles) {
      const old = this.profiles.get(p.userId);
      if (old?.phoneHash && old.phoneHash !== p.phoneHash && this.byPhone.get(old.phoneHash) === p.userId)
        this.byPhone.delete(old.phoneHash);
      this.profiles.set(p.userId, structuredClone(p));
      this.parts[partOf(p.userId)].add(p.userId);
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

  async scan(cursor?: string, count = 1000, parts: PartRange = ALL_PARTS): Promise<ProfilePage> {
    const page = await pageOfParts(cursor, count, parts, async (part, offset) => {
      const ids = [...this.parts[part]].slice(Number(offset), Number(offset) + count);
      const next = Number(offset) + ids.length;
      return { ids, next: next < this.parts[part].size ? String(next) : undefined };
    });
    return { profiles: (await this.get(page.ids)).filter((p): p is StoredProfile => p !== undefined), next: page.next };
  }

  async count(): Promise<number> {
    return this.profiles.size;
  }

  async close(): Promise<void> {}
}
