import { requiredCredentials } from '#lib/cloud/credentials';
import type { Config } from '#lib/config';
import { processShared } from '#lib/processShared';
import { LocalObjectStore } from './localStore';
import { OssObjectStore } from './ossStore';
import type { ObjectStore } from './port';

export type { ObjectStore, StoredObject, ListPage } from './port';
export { listAll } from './port';

/** The object store the configuration names, created once per process. */
export function objectStoreFrom(c: Config): ObjectStore {
  return processShared(`objectStore:${c.objectStore}:${c.bucket}`, () =>
    c.objectStore === 'oss'
      ? new OssObjectStore({
          bucket: c.bucket,
          region: c.ossRegion,
          endpoint: c.ossEndpoint,
          internal: c.ossInternal === 'true',
          credentials: requiredCredentials(c),
        })
      : new LocalObjectStore(c.localOssDir, c.bucket),
  );
}
