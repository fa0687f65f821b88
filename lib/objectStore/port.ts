/** The object store port: where raw events, datasets and models live (OSS in production). */
import { badRequest } from '#lib/errors';

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

/**
 * Object keys, as OSS takes them (1-1023 bytes, no leading slash or backslash), and never `.` or `..`
 * segments, which would name another file in the local store.
 */
export function assertValidKey(key: string): void {
  if (
    !key ||
    Buffer.byteLength(key) > 1023 ||
    /^[/\\]/.test(key) ||
    key.split('/').some((s) => s === '..' || s === '.') ||
    key.includes('\0')
  ) {
    throw badRequest('invalid_key', `invalid object key "${key.slice(0, 200)}": 1-1023 bytes, no leading slash, no . or .. segments`);
  }
}

/** Bucket names, as OSS takes them: 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit. */
export function assertValidBucket(bucket: string): void {
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw badRequest(
      'invalid_bucket',
      `invalid bucket name "${bucket.slice(0, 80)}": 3-63 lowercase letters, ` +
        `digits and hyphens, starting and ending with a letter or digit`,
    );
  }
}
