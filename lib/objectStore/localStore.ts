/**
 * The embedded object store: files under `<root>/<bucket>/<key>`. Writes are atomic
 * (temp file + rename) and announce themselves on `localObjectEvents`, which the local
 * runtime turns into OSS trigger events, as OSS does for a bucket with triggers.
 */
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { processShared } from '#lib/processShared';
import { assertValidBucket, assertValidKey, type ListPage, type ObjectStore, type StoredObject } from './port';

export interface LocalObjectEvent {
  eventName: 'ObjectCreated:PutObject' | 'ObjectRemoved:DeleteObject';
  bucket: string;
  key: string;
  size: number;
  eTag: string;
}

/** Fires `object` with a LocalObjectEvent after each write or delete in this process. */
export const localObjectEvents: EventEmitter = processShared('localObjectEvents', () => new EventEmitter());

export class LocalObjectStore implements ObjectStore {
  readonly describe: string;
  private readonly dir: string;

  constructor(
    private readonly root: string,
    private readonly bucket: string,
  ) {
    assertValidBucket(bucket);
    this.dir = path.resolve(root, bucket);
    this.describe = `local:${path.join(root, bucket)}`;
  }

  private file(key: string): string {
    assertValidKey(key);
    return path.join(this.dir, key);
  }

  async put(key: string, body: Buffer): Promise<StoredObject> {
    const target = this.file(key);
    const tmpDir = path.resolve(this.root, '.tmp');
    const tmp = path.join(tmpDir, randomUUID());
    await fs.mkdir(tmpDir, { recursive: true });
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(tmp, body);
    await fs.rename(tmp, target);
    const eTag = createHash('md5').update(body).digest('hex').toUpperCase();
    const stored = { key, size: body.length, lastModified: new Date().toISOString(), eTag };
    const event: LocalObjectEvent = { eventName: 'ObjectCreated:PutObject', bucket: this.bucket, key, size: body.length, eTag };
    localObjectEvents.emit('object', event);
    return stored;
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw err;
    }
  }

  async list(prefix: string, options: { startAfter?: string; limit?: number } = {}): Promise<ListPage> {
    const limit = Math.min(options.limit ?? 1000, 1000);
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    const keys = (await walk(path.join(this.dir, base), base))
      .filter((k) => k.startsWith(prefix) && (!options.startAfter || k > options.startAfter))
      .sort();
    const pageKeys = keys.slice(0, limit);
    const objects = await Promise.all(
      pageKeys.map(async (key) => {
        const st = await fs.stat(path.join(this.dir, key));
        return { key, size: st.size, lastModified: st.mtime.toISOString(), eTag: `${st.mtimeMs.toString(16)}-${st.size.toString(16)}` };
      }),
    );
    return { objects, next: keys.length > limit ? pageKeys[pageKeys.length - 1] : undefined };
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
    localObjectEvents.emit('object', { eventName: 'ObjectRemoved:DeleteObject', bucket: this.bucket, key, size: 0, eTag: '' });
  }
}

async function walk(dir: string, keyPrefix: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? walk(path.join(dir, e.name), `${keyPrefix}${e.name}/`) : [`${keyPrefix}${e.name}`])),
  );
  return nested.flat();
}
