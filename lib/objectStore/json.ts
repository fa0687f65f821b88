/** Small JSON documents in the object store: state, pointers and reports, pretty-printed for people who open them. */
import type { ObjectStore } from './port';

export const putJson = (store: ObjectStore, key: string, value: unknown) =>
  store.put(key, Buffer.from(JSON.stringify(value, null, 2)), { contentType: 'application/json' });

/** The document at `key`, or undefined when there is none. */
export async function getJson<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  const body = await store.get(key);
  return body && (JSON.parse(body.toString('utf8')) as T);
}
