/**
 * A wire-level fake of Tencent Cloud SMS (2021-01-11): it checks the TC3-HMAC-SHA256
 * signature, action, version, region and timestamp as the real API does, and answers in
 * its `{Response: ...}` format, with per-number statuses and request-level errors.
 *
 * Per number, by suffix: `…0000` delivery frequency limit, `…1111` daily limit, `…4444` blacklist;
 * `numberFaults` scripts a number's next answers. `faults` scripts whole requests.
 *
 * PullSmsSendStatusByPhoneNumber answers from `records` (every message taken, answered or not):
 * only those the carrier reported on (`report`), as the real API does, within its 7 days, with
 * SessionContext echoed only when `echoSessionContext` is on (Tencent enables it on request).
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import { TencentSmsSender } from '#lib/sms/tencentSms';
import { startFake, type FakeReply, type HttpFake } from './httpFake';

export const TEST_TENCENT = { secretId: 'AKIDtestsecretid0001', secretKey: 'tencent-test-secret', sdkAppId: '1400000001' };

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

const fail = (Code: string, Message: string): FakeReply => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ Response: { Error: { Code, Message }, RequestId: randomUUID() } }),
});

/** A message the fake took, and what the carrier said of it (set `report` to play the carrier). */
export interface TencentSentRecord {
  phone: string;
  serialNo: string;
  sessionContext: string;
  sentAt: number;
  report?: { status: 'SUCCESS' | 'FAIL'; description: string; receivedAt: number };
}

export interface TencentSmsFake extends HttpFake {
  /** Every request body that passed the checks. */
  sent: Record<string, unknown>[];
  /** Every number taken: answered `Ok`, or in a request never answered (those may have gone out). */
  accepted: string[];
  /** The next requests' fates, one each: an error code (`RequestLimitExceeded`, `InternalError.ServerError`…) or `timeout`. */
  faults: string[];
  /** A number (`+86…`) to the codes of its next answers, one each, before it is answered `Ok` again. */
  numberFaults: Map<string, string[]>;
  /** Every message taken (answered `Ok`, or in a request never answered). */
  records: TencentSentRecord[];
  /** Whether pulls echo SessionContext (off by default, as on Tencent until enabled). */
  echoSessionContext: boolean;
  /**
   * The application's approved templates and how many parameters each takes, when a test sets them: any
   * other id, or another count, is refused.
   */
  templates?: Map<string, number>;
}

const ACTIONS = new Set(['SendSms', 'PullSmsSendStatusByPhoneNumber']);
const KEPT_S = 7 * 86_400;

export async function startTencentSmsFake(): Promise<TencentSmsFake> {
  const sent: Record<string, unknown>[] = [];
  const accepted: string[] = [];
  const faults: string[] = [];
  const numberFaults = new Map<string, string[]>();
  const records: TencentSentRecord[] = [];
  let self: TencentSmsFake;
  const fake = await startFake(async (r) => {
    const h = (name: string) => String(r.headers[name] ?? '');
    if (!ACTIONS.has(h('x-tc-action'))) return fail('InvalidAction', `action ${h('x-tc-action')} not found`);
    if (h('x-tc-version') !== '2021-01-11') return fail('NoSuchVersion', 'version not found');
    if (!h('x-tc-region')) return fail('MissingParameter', 'The request is missing a required parameter `Region`.');
    const timestamp = Number(h('x-tc-timestamp'));
    if (Math.abs(timestamp - Date.now() / 1000) > 300) return fail('AuthFailure.SignatureExpire', 'Signature expired.');
    const auth =
      /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/sms\/tc3_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
        h('authorization'),
      );
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
    const body = JSON.parse(r.body.toString()) as {
      PhoneNumberSet?: string[];
      SmsSdkAppId?: string;
      TemplateId?: string;
      TemplateParamSet?: unknown;
      SessionContext?: string;
    };
    if (body.SmsSdkAppId !== TEST_TENCENT.sdkAppId) return fail('FailedOperation.SmsSdkAppIdVerifyFail', 'SmsSdkAppId verify fail.');
    if (h('x-tc-action') === 'PullSmsSendStatusByPhoneNumber') return pullByPhone(body as PullByPhone, records, self.echoSessionContext);
    if (!body.TemplateId) return fail('MissingParameter', 'TemplateId is required.');
    const phones = body.PhoneNumberSet ?? [];
    if (phones.length === 0) return fail('MissingParameter', 'PhoneNumberSet is required.');
    if (phones.length > 200) return fail('LimitExceeded.PhoneNumberCountLimit', 'the number of phone numbers exceeds 200.');
    const params = body.TemplateParamSet ?? [];
    if (!Array.isArray(params) || !params.every((v) => typeof v === 'string'))
      return fail('InvalidParameterValue.TemplateParameterFormatError', 'TemplateParamSet must be strings.');
    const approved = self.templates?.get(body.TemplateId);
    if (self.templates && approved === undefined)
      return fail('FailedOperation.TemplateIncorrectOrUnapproved', 'template is not approved or does not exist.');
    if (approved !== undefined && params.length !== approved)
      return fail('FailedOperation.TemplateParamSetNotMatchApprovedTemplate', 'the parameters do not match the approved template.');
    sent.push(body);
    const fault = faults.shift();
    const took = (phone: string, serialNo = `2433:${randomUUID()}`) => {
      records.push({ phone, serialNo, sessionContext: body.SessionContext ?? '', sentAt: Date.now() });
      return serialNo;
    };
    if (fault === 'timeout') {
      accepted.push(...phones);
      phones.forEach((phone) => took(phone));
      return new Promise<FakeReply>(() => {});
    }
    if (fault) return fail(fault, `fault: ${fault}`);
    const SendStatusSet = phones.map((phone) => {
      const [Code, Message] = answerFor(phone, numberFaults.get(phone)?.shift());
      if (Code === 'Ok') accepted.push(phone);
      return {
        SerialNo: Code === 'Ok' ? took(phone) : '',
        PhoneNumber: phone,
        Fee: Code === 'Ok' ? 1 : 0,
        SessionContext: body.SessionContext ?? '',
        Code,
        Message,
        IsoCode: 'CN',
      };
    });
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Response: { SendStatusSet, RequestId: randomUUID() } }),
    };
  });
  self = Object.assign(fake, { sent, accepted, faults, numberFaults, records, echoSessionContext: false });
  return self;
}

interface PullByPhone {
  PhoneNumber?: string;
  BeginTime?: number;
  EndTime?: number;
  Offset?: number;
  Limit?: number;
}

const ok = (Response: Record<string, unknown>): FakeReply => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ Response: { ...Response, RequestId: randomUUID() } }),
});

/**
 * PullSmsSendStatusByPhoneNumber as the service checks it: the number's reported messages from
 * BeginTime (at most 7 days back) to EndTime.
 */
function pullByPhone(body: PullByPhone, records: TencentSentRecord[], echo: boolean): FakeReply {
  const nowS = Math.floor(Date.now() / 1000);
  if (!/^\+861[3-9]\d{9}$/.test(body.PhoneNumber ?? ''))
    return fail('InvalidParameterValue.IncorrectPhoneNumber', 'incorrect phone number');
  if (!Number.isInteger(body.BeginTime) || !Number.isInteger(body.Limit) || body.Offset !== 0)
    return fail('InvalidParameter', 'BeginTime, Offset (0) and Limit are required integers.');
  if (body.Limit! < 1 || body.Limit! > 100) return fail('InvalidParameterValue', 'Limit must be 1-100.');
  if (body.BeginTime! < nowS - KEPT_S) return fail('InvalidParameterValue.BeginTimeTooEarly', 'BeginTime is more than 7 days ago.');
  const end = body.EndTime ?? nowS;
  const PullSmsSendStatusSet = records
    .filter(
      (rec) =>
        rec.phone === body.PhoneNumber &&
        rec.report &&
        rec.report.receivedAt / 1000 >= body.BeginTime! &&
        rec.report.receivedAt / 1000 <= end,
    )
    .slice(0, body.Limit)
    .map((rec) => ({
      UserReceiveTime: Math.floor(rec.report!.receivedAt / 1000),
      CountryCode: '86',
      SubscriberNumber: rec.phone.slice(3),
      PhoneNumber: rec.phone,
      SerialNo: rec.serialNo,
      ReportStatus: rec.report!.status,
      Description: rec.report!.description,
      SessionContext: echo ? rec.sessionContext : '',
    }));
  return ok({ PullSmsSendStatusSet });
}

function answerFor(phone: string, scripted: string | undefined): [string, string] {
  if (!/^\+861[3-9]\d{9}$/.test(phone)) return ['InvalidParameterValue.IncorrectPhoneNumber', 'incorrect phone number'];
  if (scripted) return [scripted, `scripted: ${scripted}`];
  if (phone.endsWith('0000')) return ['LimitExceeded.DeliveryFrequencyLimit', 'delivery frequency limit'];
  if (phone.endsWith('1111')) return ['LimitExceeded.PhoneNumberDailyLimit', 'the daily limit of this number is reached'];
  if (phone.endsWith('4444')) return ['FailedOperation.PhoneNumberInBlacklist', 'the number is in blacklist'];
  return ['Ok', 'send success'];
}

/** Sends to a local fake while the Tencent SDK signs for the real host name (its first label is the service). */
const toLocalhost = new http.Agent({
  lookup: (_host, options, cb) =>
    (options as { all?: boolean }).all
      ? (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }])
      : cb(null, '127.0.0.1', 4),
});

/** The real Tencent SMS client, sending to this fake. */
export const tencentSenderFor = (fake: HttpFake, signName = '示例商城') =>
  new TencentSmsSender({
    ...TEST_TENCENT,
    signName,
    endpoint: `sms.tencentcloudapi.com:${fake.port}`,
    protocol: 'http://',
    agent: toLocalhost,
  });
