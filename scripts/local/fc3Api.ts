/**
 * FC3's control API (2023-03-30, ROA over JSON) as far as this project calls it, checked the way
 * FC checks it: the ACS3-HMAC-SHA256 signature over the canonical request, the payload hash, the
 * action and version headers. The local runtime serves InvokeFunction with it (chunk workers of
 * a campaign run are submitted this way), and test/wire/fc3Api.ts adds PutProvisionConfig.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface ApiRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ApiReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const MAX_ASYNC_BYTES = 128 * 1024;
const TASK_ID = /^[A-Za-z0-9_-]{1,128}$/;
const INVOKE_PATH = /^\/2023-03-30\/functions\/([^/]+)\/invocations$/;

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const header = (r: ApiRequest, name: string) => String(r.headers[name] ?? '');

export const apiError = (status: number, code: string, message: string): ApiReply => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ Code: code, Message: message, RequestId: 'local' }),
});

function canonicalRequest(r: ApiRequest, signedHeaders: string[]): string {
  const url = new URL(r.url, 'http://fc');
  const query = [...url.searchParams]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .join('&');
  const headers = signedHeaders.map((h) => `${h}:${header(r, h).trim()}\n`).join('');
  return [r.method, url.pathname, query, headers, signedHeaders.join(';'), createHash('sha256').update(r.body).digest('hex')].join('\n');
}

/** The refusal FC would answer, or undefined when the request is signed by one of `keys` (id → secret). */
export function refuseUnsigned(r: ApiRequest, keys: Record<string, string>): ApiReply | undefined {
  const auth = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(header(r, 'authorization'));
  if (!auth) return apiError(401, 'InvalidAuthorization', 'Authorization must be ACS3-HMAC-SHA256');
  const [, keyId, signed, signature] = auth;
  const signedHeaders = signed.split(';');
  if (!keys[keyId]) return apiError(403, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
  if (
    !['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version'].every((h) =>
      signedHeaders.includes(h),
    )
  ) {
    return apiError(400, 'MissingSignedHeaders', `SignedHeaders lacks required headers: ${signed}`);
  }
  if (header(r, 'x-acs-content-sha256') !== createHash('sha256').update(r.body).digest('hex'))
    return apiError(400, 'ContentSHA256Mismatch', 'payload hash mismatch');
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonicalRequest(r, signedHeaders)).digest('hex')}`;
  const expected = createHmac('sha256', keys[keyId]).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex')))
    return apiError(403, 'SignatureDoesNotMatch', 'The request signature does not conform to Aliyun standards.');
  if (header(r, 'x-acs-version') !== '2023-03-30') return apiError(400, 'InvalidVersion', 'x-acs-version must be 2023-03-30');
  return undefined;
}

/** What a function does with an invocation: `sync` answers now; `async` is queued (FC's 202). */
export interface InvokeTarget {
  sync(payload: Buffer): Promise<{ body: Buffer; errorType?: string }>;
  async(payload: Buffer, taskId: string): void;
}

/**
 * InvokeFunction: `POST /2023-03-30/functions/<name>/invocations`. Asynchronous calls may name a
 * task id; a task id seen before is refused with 409, as FC's task deduplication does.
 * Answers undefined for any other route.
 */
export function invokeFunctionRoute(targets: (name: string) => InvokeTarget | undefined, tasks: Set<string>) {
  return async (r: ApiRequest): Promise<ApiReply | undefined> => {
    const match = INVOKE_PATH.exec(new URL(r.url, 'http://fc').pathname);
    if (!match) return undefined;
    if (r.method !== 'POST' || header(r, 'x-acs-action') !== 'InvokeFunction')
      return apiError(400, 'InvalidAction', 'invocations take POST with x-acs-action InvokeFunction');
    const name = decodeURIComponent(match[1]);
    const target = targets(name);
    if (!target) return apiError(404, 'FunctionNotFound', `function ${name} does not exist`);
    if (header(r, 'x-fc-invocation-type').toLowerCase() !== 'async') {
      const result = await target.sync(r.body);
      return {
        status: 200,
        headers: { 'content-type': 'application/octet-stream', ...(result.errorType ? { 'x-fc-error-type': result.errorType } : {}) },
        body: result.body.toString(),
      };
    }
    if (r.body.length > MAX_ASYNC_BYTES)
      return apiError(413, 'PayloadTooLarge', `an asynchronous payload is at most ${MAX_ASYNC_BYTES} bytes, this one ${r.body.length}`);
    const taskId = header(r, 'x-fc-async-task-id');
    if (taskId && !TASK_ID.test(taskId))
      return apiError(400, 'InvalidArgument', `x-fc-async-task-id ${taskId} must be 1–128 letters, digits, _ or -`);
    const key = `${name}/${taskId}`;
    if (taskId && tasks.has(key)) return apiError(409, 'AsyncTaskAlreadyExist', `async task ${taskId} of ${name} was submitted before`);
    if (taskId) tasks.add(key);
    target.async(r.body, taskId);
    return { status: 202, headers: { 'content-type': 'application/json', 'x-fc-async-task-id': taskId }, body: '' };
  };
}
