/**
 * A wire-level fake of Tencent Cloud SMS (2021-01-11): it checks the TC3-HMAC-SHA256
 * signature, action, version, region and timestamp as the real API does, and answers in
 * its `{Response: ...}` format, with per-number statuses and request-level errors.
 *
 * Per number, by suffix: `…0000` delivery frequency limit, `…1111` daily limit, `…4444` blacklist;
 * `numberFaults` scripts a number's next answers. `faults` scripts whole requests.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { startFake, type FakeReply, type HttpFake } from './httpFake';

export const TEST_TENCENT = { secretId: 'AKIDtestsecretid0001', secretKey: 'tencent-test-secret', sdkAppId: '1400000001' };

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

const fail = (Code: string, Message: string): FakeReply => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ Response: { Error: { Code, Message }, RequestId: randomUUID() } }),
});

export interface TencentSmsFake extends HttpFake {
  /** Every request body that passed the checks. */
  sent: Record<string, unknown>[];
  /** Every number taken: answered `Ok`, or in a request never answered (those may have gone out). */
  accepted: string[];
  /** The next requests' fates, one each: an error code (`RequestLimitExceeded`, `InternalError.ServerError`…) or `timeout`. */
  faults: string[];
  /** A number (`+86…`) to the codes of its next answers, one each, before it is answered `Ok` again. */
  numberFaults: Map<string, string[]>;
}

export async function startTencentSmsFake(): Promise<TencentSmsFake> {
  const sent: Record<string, unknown>[] = [];
  const accepted: string[] = [];
  const faults: string[] = [];
  const numberFaults = new Map<string, string[]>();
  const fake = await startFake(async (r) => {
    const h = (name: string) => String(r.headers[name] ?? '');
    if (h('x-tc-action') !== 'SendSms') return fail('InvalidAction', `action ${h('x-tc-action')} not found`);
    if (h('x-tc-version') !== '2021-01-11') return fail('NoSuchVersion', 'version not found');
    if (!h('x-tc-region')) return fail('MissingParameter', 'The request is missing a required parameter `Region`.');
    const timestamp = Number(h('x-tc-timestamp'));
    if (Math.abs(timestamp - Date.now() / 1000) > 300) return fail('AuthFailure.SignatureExpire', 'Signature expired.');
    const auth = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/sms\/tc3_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(h('authorization'));
    if (!auth) return fail('AuthFailure.InvalidAuthorization', 'Authorization header is malformed.');
    const [, secretId, date, signedHeaders, signature] = auth;
    if (secretId !== TEST_TENCENT.secretId) return fail('AuthFailure.SecretIdNotFound', 'The SecretId is not found.');
    const headerLines = signedHeaders
      .split(';')
      .map((name) => `${name}:${name === 'host' ? h('host').split(':')[0] : h(name)}\n`)
      .join('');
    const canonical = `POST\n/\n\n${headerLines}\n${signedHeaders}\n${sha256(r.body)}`;
    const stringToSign = `TC3-HMAC-SHA256\n${timestamp}\n${date}/sms/tc3_request\n${sha256(canonical)}`;
    const kSigning = hmac(hmac(hmac(`TC3${TEST_TENCENT.secretKey}`, date), 'sms'), 'tc3_request');
    if (createHmac('sha256', kSigning).update(stringToSign).digest('hex') !== signature) {
      return fail('AuthFailure.SignatureFailure', 'The provided credentials could not be validated.');
    }
    const body = JSON.parse(r.body.toString()) as { PhoneNumberSet?: string[]; SmsSdkAppId?: string; TemplateId?: string; TemplateParamSet?: unknown; SessionContext?: string };
    if (body.SmsSdkAppId !== TEST_TENCENT.sdkAppId) return fail('FailedOperation.SmsSdkAppIdVerifyFail', 'SmsSdkAppId verify fail.');
    if (!body.TemplateId) return fail('MissingParameter', 'TemplateId is required.');
    const phones = body.PhoneNumberSet ?? [];
    if (phones.length === 0) return fail('MissingParameter', 'PhoneNumberSet is required.');
    if (phones.length > 200) return fail('LimitExceeded.PhoneNumberCountLimit', 'the number of phone numbers exceeds 200.');
    const params = body.TemplateParamSet ?? [];
    if (!Array.isArray(params) || !params.every((v) => typeof v === 'string')) return fail('InvalidParameterValue.TemplateParameterFormatError', 'TemplateParamSet must be strings.');
    sent.push(body);
    const fault = faults.shift();
    if (fault === 'timeout') {
      accepted.push(...phones);
      return new Promise<FakeReply>(() => {});
    }
    if (fault) return fail(fault, `fault: ${fault}`);
    const SendStatusSet = phones.map((phone) => {
      const [Code, Message] = answerFor(phone, numberFaults.get(phone)?.shift());
      if (Code === 'Ok') accepted.push(phone);
      return { SerialNo: Code === 'Ok' ? `2433:${randomUUID()}` : '', PhoneNumber: phone, Fee: Code === 'Ok' ? 1 : 0, SessionContext: body.SessionContext ?? '', Code, Message, IsoCode: 'CN' };
    });
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Response: { SendStatusSet, RequestId: randomUUID() } }) };
  });
  return Object.assign(fake, { sent, accepted, faults, numberFaults });
}

function answerFor(phone: string, scripted: string | undefined): [string, string] {
  if (!/^\+861[3-9]\d{9}$/.test(phone)) return ['InvalidParameterValue.IncorrectPhoneNumber', 'incorrect phone number'];
  if (scripted) return [scripted, `scripted: ${scripted}`];
  if (phone.endsWith('0000')) return ['LimitExceeded.DeliveryFrequencyLimit', 'delivery frequency limit'];
  if (phone.endsWith('1111')) return ['LimitExceeded.PhoneNumberDailyLimit', 'the daily limit of this number is reached'];
  if (phone.endsWith('4444')) return ['FailedOperation.PhoneNumberInBlacklist', 'the number is in blacklist'];
  return ['Ok', 'send success'];
}
