/**
 * A wire-level fake of FC3's control API (2023-03-30, ROA over JSON) for PutProvisionConfig.
 * It checks what FC checks: the ACS3-HMAC-SHA256 signature over the canonical request, the
 * payload hash, the action/version headers, and the body against the API's field rules;
 * and answers with FC's error shape when one fails.
 */
import { createHash, createHmac } from 'node:crypto';
import { startFake, type HttpFake, type Received } from './httpFake';

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalRequest(r: Received, signedHeaders: string[]): string {
  const url = new URL(r.url, 'http://fake');
  const query = [...url.searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
  const headers = signedHeaders.map((h) => `${h}:${String(r.headers[h] ?? '').trim()}\n`).join('');
  return [r.method, url.pathname, query, headers, signedHeaders.join(';'), createHash('sha256').update(r.body).digest('hex')].join('\n');
}

const error = (status: number, code: string, message: string) => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Code: code, Message: message, RequestId: 'fake' }) });

export async function startFc3Fake(keys: Record<string, string>): Promise<HttpFake & { configs: Map<string, Record<string, unknown>> }> {
  const configs = new Map<string, Record<string, unknown>>();
  const fake = await startFake((r) => {
    const auth = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(String(r.headers.authorization ?? ''));
    if (!auth) return error(401, 'InvalidAuthorization', 'Authorization must be ACS3-HMAC-SHA256');
    const [, keyId, signed, signature] = auth;
    const signedHeaders = signed.split(';');
    if (!keys[keyId]) return error(403, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    if (!['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version'].every((h) => signedHeaders.includes(h))) {
      return error(400, 'MissingSignedHeaders', `SignedHeaders lacks required headers: ${signed}`);
    }
    if (r.headers['x-acs-content-sha256'] !== createHash('sha256').update(r.body).digest('hex')) return error(400, 'ContentSHA256Mismatch', 'payload hash mismatch');
    const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonicalRequest(r, signedHeaders)).digest('hex')}`;
    if (createHmac('sha256', keys[keyId]).update(stringToSign).digest('hex') !== signature) return error(403, 'SignatureDoesNotMatch', 'The request signature does not conform to Aliyun standards.');
    if (r.headers['x-acs-version'] !== '2023-03-30') return error(400, 'InvalidVersion', 'x-acs-version must be 2023-03-30');

    const url = new URL(r.url, 'http://fake');
    const match = /^\/2023-03-30\/functions\/([^/]+)\/provision-config$/.exec(url.pathname);
    if (r.method !== 'PUT' || !match || r.headers['x-acs-action'] !== 'PutProvisionConfig') return error(404, 'NotFound', `no route ${r.method} ${url.pathname}`);
    const body = JSON.parse(r.body.toString()) as { defaultTarget?: unknown; scheduledActions?: { name?: string; scheduleExpression?: string; target?: number }[] };
    if (!Number.isInteger(body.defaultTarget) || (body.defaultTarget as number) < 0) return error(400, 'InvalidArgument', 'defaultTarget must be an integer ≥ 0');
    for (const a of body.scheduledActions ?? []) {
      if (!a.name || !/^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$/.test(a.scheduleExpression ?? '') || !Number.isInteger(a.target)) {
        return error(400, 'InvalidArgument', `invalid scheduled action ${JSON.stringify(a)}`);
      }
    }
    configs.set(`${match[1]}@${url.searchParams.get('qualifier') ?? 'LATEST'}`, body);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, functionArn: `acs:fc:cn-hangzhou:123:functions/${match[1]}`, current: 2 }) };
  });
  return Object.assign(fake, { configs });
}
