/**
 * A wire-level fake of an OSS bucket: it checks the V1 signature (HMAC-SHA1 over verb,
 * Content-MD5, Content-Type, date, x-oss-* headers and /bucket/key with sub-resources)
 * and Content-MD5, and answers PutObject, GetObject, DeleteObject and ListObjectsV2 with
 * OSS's headers and XML, errors included.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { KNOWN_KEYS } from './alibabaRpc';
import { startFake, type FakeReply, type HttpFake } from './httpFake';

const SUB_RESOURCES = new Set([
  'acl',
  'uploads',
  'uploadId',
  'partNumber',
  'delete',
  'append',
  'position',
  'tagging',
  'versionId',
  'continuation-token',
  'objectMeta',
  'symlink',
  'restore',
]);

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function xmlError(status: number, code: string, message: string): FakeReply {
  const requestId = randomUUID().replace(/-/g, '').toUpperCase().slice(0, 24);
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-oss-request-id': requestId },
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${code}</Code>\n  <Message>${xmlEscape(message)}</Message>\n ` +
      ` <RequestId>${requestId}</RequestId>\n  <HostId>fake-oss</HostId>\n</Error>`,
  };
}

export interface OssFake extends HttpFake {
  objects: Map<string, { body: Buffer; etag: string; lastModified: string }>;
  /** Makes every request fail with this status (to test unavailability); undefined heals it. */
  failWith(status: number | undefined): void;
}

export async function startOssFake(bucket: string): Promise<OssFake> {
  const objects: OssFake['objects'] = new Map();
  const state: { failWith?: number } = {};
  const fake = await startFake((r) => {
    if (state.failWith) return xmlError(state.failWith, 'InternalError', 'We encountered an internal error. Please try again.');
    const url = new URL(r.url, 'http://x');
    const host = String(r.headers.host ?? '');
    // Virtual-hosted style (<bucket>.<endpoint>) or path style (/<bucket>/<key>).
    const hostBucket = host.startsWith(`${bucket}.`) ? bucket : undefined;
    let key = decodeURIComponent(url.pathname.slice(1));
    if (!hostBucket) {
      if (!key.startsWith(`${bucket}/`) && key !== bucket) return xmlError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
      key = key.slice(bucket.length + 1);
    }
    const h = (name: string) => String(r.headers[name] ?? '');
    const auth = /^OSS ([^:]+):(.+)$/.exec(h('authorization'));
    if (!auth) return xmlError(403, 'AccessDenied', 'You have no right to access this object.');
    const signer = KNOWN_KEYS.get(auth[1]);
    if (!signer) return xmlError(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.');
    if (signer.securityToken && h('x-oss-security-token') !== signer.securityToken)
      return xmlError(403, 'InvalidAccessKeyId', 'The security token you provided is invalid.');
    const date = h('x-oss-date') || h('date');
    if (Math.abs(Date.parse(date) - Date.now()) > 15 * 60_000)
      return xmlError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    const ossHeaders = Object.keys(r.headers)
      .filter((k) => k.startsWith('x-oss-'))
      .sort()
      .map((k) => `${k}:${h(k).trim()}`);
    const sub = [...url.searchParams.keys()].filter((k) => SUB_RESOURCES.has(k)).sort();
    const subResource = (k: string) => (url.searchParams.get(k) ? `${k}=${url.searchParams.get(k)}` : k);
    const resource = `/${bucket}/${key}${sub.length ? `?${sub.map(subResource).join('&')}` : ''}`;
    const stringToSign = [r.method, h('content-md5'), h('content-type'), date, ...ossHeaders, resource].join('\n');
    const expected = createHmac('sha1', signer.accessKeySecret).update(stringToSign).digest('base64');
    if (expected !== auth[2])
      return xmlError(
        403,
        'SignatureDoesNotMatch',
        `The request signature we calculated does not match the signature you provided. StringToSign: ${stringToSign}`,
      );
    if (h('content-md5') && createHash('md5').update(r.body).digest('base64') !== h('content-md5')) {
      return xmlError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.');
    }
    const requestId = { 'x-oss-request-id': randomUUID().replace(/-/g, '').toUpperCase().slice(0, 24) };
    if (r.method === 'PUT' && key) {
      const etag = createHash('md5').update(r.body).digest('hex').toUpperCase();
      objects.set(key, { body: r.body, etag, lastModified: new Date().toUTCString() });
      return { status: 200, headers: { ...requestId, etag: `"${etag}"` }, body: '' };
    }
    if (r.method === 'GET' && key) {
      const o = objects.get(key);
      if (!o) return xmlError(404, 'NoSuchKey', 'The specified key does not exist.');
      return {
        status: 200,
        headers: { ...requestId, etag: `"${o.etag}"`, 'content-type': 'application/octet-stream', 'last-modified': o.lastModified },
        body: o.body,
      };
    }
    if (r.method === 'DELETE' && key) {
      objects.delete(key);
      return { status: 204, headers: requestId, body: '' };
    }
    if (r.method === 'GET' && !key && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const after = url.searchParams.get('continuation-token') ?? url.searchParams.get('start-after') ?? '';
      const max = Number(url.searchParams.get('max-keys') ?? 100);
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
      const page = keys.slice(0, max);
      const truncated = keys.length > max;
      const contents = page
        .map((k) => {
          const o = objects.get(k)!;
          return (
            `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${new Date(o.lastModified).toISOString()}</LastModified>` +
            `<ETag>"${o.etag}"</ETag><Type>Normal</Type><Size>${o.body.length}</Size><StorageClass>Standard</StorageClass></Contents>`
          );
        })
        .join('');
      const next = truncated ? `<NextContinuationToken>${xmlEscape(page[page.length - 1])}</NextContinuationToken>` : '';
      const body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
        `<MaxKeys>${max}</MaxKeys><KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>` +
        `${next}${contents}</ListBucketResult>`;
      return { status: 200, headers: { ...requestId, 'content-type': 'application/xml' }, body };
    }
    return xmlError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  });
  return Object.assign(fake, { objects, failWith: (status: number | undefined) => void (state.failWith = status) });
}
