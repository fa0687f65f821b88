/** The production object store: an OSS bucket through the `ali-oss` SDK. */
import OSS from 'ali-oss';
import { rebuiltOnRotation, type CredentialsProvider } from '#lib/cloud/credentials';
import { unavailable } from '#lib/errors';
import { assertValidKey, type ListPage, type ObjectStore, type StoredObject } from './port';

export interface OssStoreOptions {
  bucket: string;
  /** `oss-cn-hangzhou` form */
  region: string;
  credentials: CredentialsProvider;
  /** Overrides the region's endpoint (tests point it at a local server). */
  endpoint?: string;
  /** Use the region's internal endpoint (free traffic from FC in the same region). */
  internal?: boolean;
  timeoutMs?: number;
}

const isNotFound = (err: unknown) => (err as { status?: number; code?: string }).status === 404;

export class OssObjectStore implements ObjectStore {
  readonly describe: string;
  /** ali-oss signs with the keys it was built with, so it is rebuilt when the role's credentials rotate. */
  private readonly client: () => OSS;

  constructor(o: OssStoreOptions) {
    this.describe = `oss:${o.bucket}`;
    this.client = rebuiltOnRotation(
      o.credentials,
      (c) =>
        new OSS({
          bucket: o.bucket,
          region: o.region,
          accessKeyId: c.accessKeyId,
          accessKeySecret: c.accessKeySecret,
          stsToken: c.securityToken,
          // The client is rebuilt when the credentials rotate; saying so keeps ali-oss from printing a warning.
          refreshSTSTokenInterval: Number.MAX_SAFE_INTEGER,
          endpoint: o.endpoint,
          internal: o.internal ?? false,
          secure: o.endpoint ? o.endpoint.startsWith('https:') : true,
          timeout: o.timeoutMs ?? 10_000,
        }),
    );
  }

  async put(key: string, body: Buffer, options: { contentType?: string } = {}): Promise<StoredObject> {
    assertValidKey(key);
    try {
      const result = await this.client().put(key, body, {
        headers: options.contentType ? { 'Content-Type': options.contentType } : undefined,
      });
      const etag = String((result.res.headers as Record<string, string>).etag ?? '').replace(/"/g, '');
      return { key, size: body.length, lastModified: new Date().toISOString(), eTag: etag };
    } catch (err) {
      throw unavailable('object_store_unavailable', `OSS put ${key} failed`, err);
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    assertValidKey(key);
    try {
      const result = await this.client().get(key);
      return Buffer.isBuffer(result.content) ? result.content : Buffer.from(result.content);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable('object_store_unavailable', `OSS get ${key} failed`, err);
    }
  }

  async list(prefix: string, options: { startAfter?: string; limit?: number } = {}): Promise<ListPage> {
    try {
      const query: Record<string, string | number> = { prefix, 'max-keys': Math.min(options.limit ?? 1000, 1000) };
      if (options.startAfter) query['start-after'] = options.startAfter;
      const result = await this.client().listV2(query as OSS.ListV2ObjectsQuery, {});
      const objects = (result.objects ?? []).map((o) => ({
        key: o.name,
        size: Number(o.size),
        lastModified: o.lastModified,
        eTag: String(o.etag).replace(/"/g, ''),
      }));
      return { objects, next: result.isTruncated ? objects[objects.length - 1]?.key : undefined };
    } catch (err) {
      throw unavailable('object_store_unavailable', `OSS list ${prefix} failed`, err);
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.client().delete(key);
    } catch (err) {
      if (!isNotFound(err)) throw unavailable('object_store_unavailable', `OSS delete ${key} failed`, err);
    }
  }
}
