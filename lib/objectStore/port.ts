/** The object store port: where raw events, datasets and models live (OSS in production). */

export interface StoredObject {
  key: string;
  size: number;
  lastModified: string;
  eTag: string;
}

export interface ListPage {
  objects: StoredObject[];
  /** Pass as `startAfter` to read the next page; undefined on the last page. */
  next?: string;
}

export interface ObjectStore {
  /** e.g. `oss:mkt-data` or `local:.local/oss/mkt-data` */
  readonly describe: string;
  put(key: string, body: Buffer, options?: { contentType?: string }): Promise<StoredObject>;
  /** The object's bytes, or undefined when there is no such key. */
  get(key: string): Promise<Buffer | undefined>;
  /** Keys under a prefix in lexicographic order, at most `limit` (≤1000) a page. */
  list(prefix: string, options?: { startAfter?: string; limit?: number }): Promise<ListPage>;
  delete(key: string): Promise<void>;
}

/** Every key under a prefix, page by page. */
export async function* listAll(store: ObjectStore, prefix: string): AsyncGenerator<StoredObject> {
  let startAfter: string | undefined;
  do {
    const page = await store.list(prefix, { startAfter, limit: 1000 });
    yield* page.objects;
    startAfter = page.next;
  } while (startAfter);
}

/** Object keys are relative paths without `..`, empty segments or a leading slash. */
export function assertValidKey(key: string): void {
  if (!key || key.length > 1023 || key.startsWith('/') || key.split('/').some((s) => s === '..' || s === '.') || key.includes('\0')) {
    throw new Error(`invalid object key "${key}"`);
  }
}
