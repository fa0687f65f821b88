import type { PartRange, ProfilePage, ProfileStore } from './port';

/**
 * Every page of profiles from `cursor` on, each read while the caller works on the one before:
 * the store's round trips overlap the caller's work. Reading claims nothing, so a caller that
 * stops early only drops a page it never used.
 */
export async function* profilePages(
  store: ProfileStore,
  o: { cursor?: string; count?: number; parts?: PartRange } = {},
): AsyncGenerator<ProfilePage> {
  let reading = store.scan(o.cursor, o.count, o.parts);
  for (;;) {
    const page = await reading;
    if (page.next !== undefined) {
      reading = store.scan(page.next, o.count, o.parts);
      reading.catch(() => undefined); // a failure surfaces when the caller reads on, not when it stopped early
    }
    yield page;
    if (page.next === undefined) return;
  }
}
