/**
 * A wire-level fake of Alibaba Cloud RPC APIs (Dysmsapi SendSms, SendBatchSms and QuerySendDetails, CMS PutCustomMetric):
 * it checks the signature (HMAC-SHA1 over the sorted, percent-encoded parameters), the
 * common parameters, timestamp and nonce as the real gateway does, then answers in the
 * service's JSON format, errors included.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { startFake, type FakeReply, type HttpFake } from './httpFake';

export const TEST_AK = { accessKeyId: 'LTAItestkey000001', accessKeySecret: 'test-secret-do-not-use' };
/** Two generations of a role's STS credentials, as FC hands them over before and after they rotate. */
export const TEST_STS = [
  { accessKeyId: 'STS.NTestRole0000001', accessKeySecret: 'sts-secret-1', securityToken: 'sts-token-1' },
  { accessKeyId: 'STS.NTestRole0000002', accessKeySecret: 'sts-secret-2', securityToken: 'sts-token-2' },
];
/** Every key the fakes know: a long-term AccessKey and the STS credentials (valid only with their token). */
export const KNOWN_KEYS = new Map<string, { accessKeySecret: string; securityToken?: string }>(
  [TEST_AK, ...TEST_STS].map((k) => [k.accessKeyId, k]),
);

const encode = (s: string) =>
  encodeURIComponent(s).replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\*/g, '%2A');

export interface ActionReply {
  status?: number;
  body: Record<string, unknown>;
}
/** A reply, or a promise of one (one that never settles plays a service that never answers). */
export type ActionHandler = (params: Record<string, string>) => ActionReply | Promise<ActionReply>;

const error = (status: number, Code: string, Message: string): FakeReply => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ Code, Message, RequestId: randomUUID(), HostId: 'fake.aliyuncs.com' }),
});

export async function startAlibabaRpcFake(
  version: string,
  actions: Record<string, ActionHandler>,
): Promise<HttpFake & { calls: Record<string, string>[] }> {
  const calls: Record<string, string>[] = [];
  const nonces = new Set<string>();
  const fake = await startFake(async (r) => {
    const query = new URL(r.url, 'http://x').searchParams;
    const form = new URLSearchParams(r.method === 'POST' ? r.body.toString() : '');
    const params: Record<string, string> = {};
    for (const [k, v] of [...query, ...form]) params[k] = v;
    for (const required of [
      'Action',
      'Version',
      'Format',
      'AccessKeyId',
      'SignatureMethod',
      'SignatureVersion',
      'SignatureNonce',
      'Timestamp',
      'Signature',
    ]) {
      if (!params[required]) return error(400, 'MissingParameter', `${required} is mandatory for this action.`);
    }
    if (params.Version !== version) return error(400, 'InvalidVersion', `Specified parameter Version is not valid.`);
    const key = KNOWN_KEYS.get(params.AccessKeyId);
    if (!key) return error(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    if (key.securityToken && params.SecurityToken !== key.securityToken)
      return error(400, 'InvalidSecurityToken.Mismatch', 'Specified SecurityToken mismatch with the AccessKey.');
    if (params.SignatureMethod !== 'HMAC-SHA1' || params.SignatureVersion !== '1.0')
      return error(400, 'InvalidSignatureMethod', 'bad method');
    if (Math.abs(Date.parse(params.Timestamp) - Date.now()) > 15 * 60_000)
      return error(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    if (nonces.has(params.SignatureNonce)) return error(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    const { Signature, ...signed } = params;
    const canonical = Object.keys(signed)
      .sort()
      .map((k) => `${encode(k)}=${encode(signed[k])}`)
      .join('&');
    const stringToSign = `${r.method}&${encode('/')}&${encode(canonical)}`;
    const expected = createHmac('sha1', `${key.accessKeySecret}&`).update(stringToSign).digest('base64');
    if (expected !== Signature) {
      return error(
        400,
        'SignatureDoesNotMatch',
        `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`,
      );
    }
    nonces.add(params.SignatureNonce);
    const handler = actions[params.Action];
    if (!handler) return error(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method.`);
    calls.push(params);
    const reply = await handler(params);
    return {
      status: reply.status ?? 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ RequestId: randomUUID(), ...reply.body }),
    };
  });
  return Object.assign(fake, { calls });
}

/** Dysmsapi SendSms as the service validates it. */
export const sendSmsAction: ActionHandler = (p) => {
  if (!p.SignName) return { status: 400, body: { Code: 'MissingSignName', Message: 'SignName is mandatory for this action.' } };
  if (!p.TemplateCode) return { status: 400, body: { Code: 'MissingTemplateCode', Message: 'TemplateCode is mandatory for this action.' } };
  if (!/^(\+?86)?1[3-9]\d{9}$/.test(p.PhoneNumbers ?? '')) return { body: { Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: '非法手机号' } };
  try {
    JSON.parse(p.TemplateParam ?? '{}');
  } catch {
    return { body: { Code: 'isv.INVALID_JSON_PARAM', Message: 'JSON参数不合法，只接受字符串值' } };
  }
  if (p.PhoneNumbers.endsWith('0000')) return { body: { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发号码天级流控Permits:40' } };
  if (p.PhoneNumbers.endsWith('9999')) return { body: { Code: 'isp.SYSTEM_ERROR', Message: 'isp.SYSTEM_ERROR' } };
  return { body: { Code: 'OK', Message: 'OK', BizId: `${Date.now()}^0` } };
};

/** What the SendBatchSms fake answers its next requests with, one fault a request, in order. */
export type BatchSmsFault = 'throttle' | 'flowControl' | 'templateIllegal' | 'systemError' | 'timeout';

const batchFaultReplies: Record<Exclude<BatchSmsFault, 'timeout'>, ActionReply> = {
  throttle: { status: 400, body: { Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' } },
  flowControl: { body: { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发号码天级流控Permits:40' } },
  templateIllegal: { body: { Code: 'isv.SMS_TEMPLATE_ILLEGAL', Message: '该账号下找不到对应模板' } },
  systemError: { body: { Code: 'isp.SYSTEM_ERROR', Message: 'isp.SYSTEM_ERROR' } },
};

/** A message SendBatchSms took, as QuerySendDetails lists it; set `status` (and `errCode`) to play the carrier. */
export interface AliyunSentRecord {
  phone: string;
  outId: string;
  bizId: string;
  templateCode: string;
  sentAt: number;
  /** 1 waiting for the carrier, 2 failed, 3 delivered. */
  status: 1 | 2 | 3;
  errCode?: string;
  receivedAt?: number;
}

export interface SendBatchSmsAction extends ActionHandler {
  /** Every number taken: answered OK, or taken and never answered (those may have gone out). */
  accepted: string[];
  /** Every message taken, for QuerySendDetails. */
  records: AliyunSentRecord[];
  /** Faults for the next requests; once none is left, the numbers decide (like SendSms: `…0000` flow control, `…9999` system error). */
  faults: BatchSmsFault[];
  /** The account's approved templates and their variables, when a test sets them: any other code, or a missing variable, is refused. */
  templates?: Map<string, string[]>;
}

const jsonArray = (text: string | undefined): unknown[] | undefined => {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
};

/** SendBatchSms's own checks: the numbers it would take, or its refusal. */
function checkBatch(p: Record<string, string>): { phones: string[] } | { refusal: ActionReply } {
  const refuse = (Code: string, Message: string, status = 200) => ({ refusal: { status, body: { Code, Message } } });
  for (const name of ['PhoneNumberJson', 'SignNameJson', 'TemplateCode']) {
    if (!p[name]) return refuse(`Missing${name}`, `${name} is mandatory for this action.`, 400);
  }
  const phones = jsonArray(p.PhoneNumberJson);
  const signs = jsonArray(p.SignNameJson);
  const params = p.TemplateParamJson === undefined ? undefined : jsonArray(p.TemplateParamJson);
  if (!phones || !signs || (p.TemplateParamJson !== undefined && !params)) return refuse('isv.INVALID_JSON_PARAM', 'JSON参数不合法');
  if (phones.length > 100) return refuse('isv.MOBILE_COUNT_OVER_LIMIT', '手机号码数量超过限制');
  if (signs.length !== phones.length || (params && params.length !== phones.length))
    return refuse('isv.INVALID_PARAMETERS', '签名、模板变量与手机号码的个数不一致');
  if (!signs.every((s) => typeof s === 'string' && s !== '')) return refuse('isv.SMS_SIGNATURE_ILLEGAL', '签名不合法');
  const stringsOnly = (v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
  if (params && !params.every(stringsOnly)) return refuse('isv.INVALID_JSON_PARAM', 'JSON参数不合法，只接受字符串值');
  if (!phones.every((n) => typeof n === 'string' && /^(\+?86)?1[3-9]\d{9}$/.test(n)))
    return refuse('isv.MOBILE_NUMBER_ILLEGAL', '非法手机号');
  return { phones: phones as string[] };
}

/** The template checks of an account with these approved templates: the code must be one, and every variable filled. */
function templateRefusal(templates: Map<string, string[]>, p: Record<string, string>): ActionReply | undefined {
  const variables = templates.get(p.TemplateCode);
  if (!variables) return batchFaultReplies.templateIllegal;
  const params = (jsonArray(p.TemplateParamJson) ?? []) as Record<string, string>[];
  if (params.some((set) => variables.some((name) => !set[name])))
    return { body: { Code: 'isv.TEMPLATE_MISSING_PARAMETERS', Message: '模板变量缺少对应参数值' } };
  return undefined;
}

/** Dysmsapi SendBatchSms as the service validates it: one Code for the whole request. A fresh one per fake. */
export function sendBatchSmsAction(): SendBatchSmsAction {
  const accepted: string[] = [];
  const records: AliyunSentRecord[] = [];
  const faults: BatchSmsFault[] = [];
  const took = (p: Record<string, string>, phones: string[]) => {
    const bizId = `${Date.now()}^${records.length}`;
    for (const phone of phones)
      records.push({
        phone: phone.replace(/^\+?86/, ''),
        outId: p.OutId ?? '',
        bizId,
        templateCode: p.TemplateCode,
        sentAt: Date.now(),
        status: 1,
      });
    return bizId;
  };
  const handle = (p: Record<string, string>): ActionReply | Promise<ActionReply> => {
    const checked = checkBatch(p);
    if ('refusal' in checked) return checked.refusal;
    const refusal = self.templates && templateRefusal(self.templates, p);
    if (refusal) return refusal;
    const { phones } = checked;
    const fault = faults.shift();
    if (fault === 'timeout') {
      accepted.push(...phones);
      took(p, phones);
      return new Promise<ActionReply>(() => {});
    }
    if (fault) return batchFaultReplies[fault];
    if (phones.some((n) => n.endsWith('0000'))) return batchFaultReplies.flowControl;
    if (phones.some((n) => n.endsWith('9999'))) return batchFaultReplies.systemError;
    accepted.push(...phones);
    return { body: { Code: 'OK', Message: 'OK', BizId: took(p, phones) } };
  };
  const self: SendBatchSmsAction = Object.assign(handle, { accepted, records, faults });
  return self;
}

const beijing = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);

/** Dysmsapi QuerySendDetails as the service checks it: one number's messages on one day (Beijing, last 30 days), a page at a time. */
export function querySendDetailsAction(batch: Pick<SendBatchSmsAction, 'records'>): ActionHandler {
  return (p) => {
    const refuse = (Code: string, Message: string) => ({ body: { Code, Message } });
    if (!p.PhoneNumber) return { status: 400, body: { Code: 'MissingPhoneNumber', Message: 'PhoneNumber is mandatory for this action.' } };
    if (!p.SendDate) return { status: 400, body: { Code: 'MissingSendDate', Message: 'SendDate is mandatory for this action.' } };
    if (!/^1[3-9]\d{9}$/.test(p.PhoneNumber)) return refuse('isv.MOBILE_NUMBER_ILLEGAL', '非法手机号');
    const day = /^(\d{4})(\d{2})(\d{2})$/.exec(p.SendDate);
    const dayMs = day ? Date.UTC(+day[1], +day[2] - 1, +day[3]) - 8 * 3600_000 : NaN;
    if (!Number.isFinite(dayMs) || Date.now() - dayMs > 31 * 86_400_000) return refuse('isv.INVALID_PARAMETERS', '参数异常: SendDate');
    const size = Number(p.PageSize);
    const page = Number(p.CurrentPage ?? '1');
    if (!Number.isInteger(size) || size < 1 || size > 50 || !Number.isInteger(page) || page < 1)
      return refuse('isv.INVALID_PARAMETERS', '参数异常: PageSize/CurrentPage');
    const onDay = batch.records.filter(
      (r) => r.phone === p.PhoneNumber && r.sentAt >= dayMs && r.sentAt < dayMs + 86_400_000 && (!p.BizId || r.bizId === p.BizId),
    );
    const SmsSendDetailDTO = onDay.slice((page - 1) * size, page * size).map((r) => ({
      PhoneNum: r.phone,
      SendStatus: r.status,
      ErrCode: r.errCode ?? (r.status === 1 ? '' : 'DELIVERED'),
      TemplateCode: r.templateCode,
      Content: '【示例商城】…',
      SendDate: beijing(r.sentAt),
      ReceiveDate: r.receivedAt === undefined ? '' : beijing(r.receivedAt),
      OutId: r.outId,
    }));
    return { body: { Code: 'OK', Message: 'OK', TotalCount: onDay.length, SmsSendDetailDTOs: { SmsSendDetailDTO } } };
  };
}

/** CMS PutCustomMetric as the service validates it. */
export const putCustomMetricAction: ActionHandler = (p) => {
  const entries = Object.keys(p).filter((k) => /^MetricList\.\d+\.MetricName$/.test(k));
  if (entries.length === 0) return { status: 400, body: { Code: '206', Message: 'MetricList is mandatory.' } };
  if (entries.length > 21) return { status: 400, body: { Code: '206', Message: 'MetricList size must be less than 21.' } };
  for (const k of entries) {
    const n = k.split('.')[1];
    for (const field of ['GroupId', 'Dimensions', 'Time', 'Type', 'Values']) {
      if (p[`MetricList.${n}.${field}`] === undefined)
        return { status: 400, body: { Code: '206', Message: `MetricList.${n}.${field} is mandatory.` } };
    }
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(p[k])) return { status: 400, body: { Code: '206', Message: `invalid MetricName ${p[k]}` } };
    JSON.parse(p[`MetricList.${n}.Dimensions`]);
    JSON.parse(p[`MetricList.${n}.Values`]);
  }
  return { body: { Code: '200', Message: 'success' } };
};
