/** `PUT|GET /-/oss/<bucket>/<key>`: the local object store over HTTP (a PUT fires OSS triggers, as any write does). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { config } from '#lib/config';
import { badRequest } from '#lib/errors';
import { readBody } from '#lib/fc/customRuntime';
import { LocalObjectStore } from '#lib/objectStore/localStore';
import { json } from './reply';

const MAX_UPLOAD = 512 * 1024 * 1024;

export async function objectStoreRoute(bucket: string, encodedKey: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const key = decodedKey(encodedKey);
  const c = config();
  if (c.objectStore !== 'local') return json(res, 409, { code: 'not_local', message: 'MKT_OBJECT_STORE is not local' });
  const store = new LocalObjectStore(c.localOssDir, bucket);
  if (req.method === 'PUT') return json(res, 200, await store.put(key, await readBody(req, MAX_UPLOAD)));
  if (req.method === 'GET') {
    const body = await store.get(key);
    if (!body) return json(res, 404, { code: 'NoSuchKey', message: key });
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    return void res.end(body);
  }
  return json(res, 405, { code: 'method_not_allowed', message: 'PUT or GET' });
}

/** An object key from the URL path; malformed percent-encoding is the client's error. */
function decodedKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw badRequest('invalid_key', 'the object key is not valid percent-encoding');
  }
}
