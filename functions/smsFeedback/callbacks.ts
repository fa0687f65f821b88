/**
 * The providers' pushes, on the HTTP trigger: `POST /sms/<aliyun|tencent>/<report|reply>?token=…`.
 * The token is the deployment's secret (MKT_SMS_CALLBACK_TOKEN), compared in constant time; any
 * other path gets a bare 404 and a wrong token a bare 401, neither saying why. Each item of a push
 * is read alone: a malformed one is logged and skipped, the rest are taken, and the push is
 * answered in the provider's format so it stops pushing it. When our store fails, the answer is a
 * 503, and the provider pushes again (what was taken is idempotent).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ContactLedger } from '#lib/contacts';
import { isObject } from '#lib/contractCheck';
import type { HttpRequest } from '#lib/fc/decode';
import type { FcHttpResult } from '#lib/fc/types';
import type { Logger } from '#lib/log';
import type { MetricsRecorder } from '#lib/metrics';
import type { ProfileBook } from '#lib/profiles';
import { aliyunReply, aliyunReport, ALIYUN_ACK, ALIYUN_RETRY } from '#lib/sms/aliyunFeedback';
import { parseEach, type FeedbackProvider } from '#lib/sms/feedback';
import { tencentReply, tencentReport, TENCENT_ACK, TENCENT_RETRY } from '#lib/sms/tencentFeedback';
import { recordReports } from './deliveryReports';
import { takeReplies } from './replies';

export interface CallbackDeps {
  token: string;
  ledger: ContactLedger;
  profiles: ProfileBook;
  logger: Logger;
  metrics?: MetricsRecorder;
  priceMilliYuan?: number;
}

interface Route {
  provider: FeedbackProvider;
  take: (deps: CallbackDeps, items: unknown[], nowMs: number) => Promise<Record<string, number>>;
  ack: object;
  retry: object;
}

const reports = (parse: typeof aliyunReport) => async (deps: CallbackDeps, items: unknown[], nowMs: number) => {
  const { items: read, malformed } = parseEach(items, parse);
  skipped(deps.logger, malformed);
  return { items: items.length, malformed: malformed.length, ...(await recordReports(deps, read, nowMs)) };
};

const replies = (parse: typeof aliyunReply) => async (deps: CallbackDeps, items: unknown[], nowMs: number) => {
  const { items: read, malformed } = parseEach(items, parse);
  skipped(deps.logger, malformed);
  return { items: items.length, malformed: malformed.length, ...(await takeReplies(deps, read, nowMs)) };
};

const skipped = (logger: Logger, malformed: { index: number; code: string; message: string }[]) =>
  malformed.forEach((m) => logger.warn('sms callback item skipped', { index: m.index, code: m.code, reason: m.message }));

const ROUTES: Record<string, Route> = {
  '/sms/aliyun/report': { provider: 'aliyun', take: reports(aliyunReport), ack: ALIYUN_ACK, retry: ALIYUN_RETRY },
  '/sms/aliyun/reply': { provider: 'aliyun', take: replies(aliyunReply), ack: ALIYUN_ACK, retry: ALIYUN_RETRY },
  '/sms/tencent/report': { provider: 'tencent', take: reports(tencentReport), ack: TENCENT_ACK, retry: TENCENT_RETRY },
  '/sms/tencent/reply': { provider: 'tencent', take: replies(tencentReply), ack: TENCENT_ACK, retry: TENCENT_RETRY },
};

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
/** Equal digests, compared in constant time (the lengths of the tokens are not told either). */
export const tokenMatches = (expected: string, given: string | undefined): boolean =>
  given !== undefined && timingSafeEqual(digest(expected), digest(given));

const bare = (statusCode: number): FcHttpResult => ({ statusCode, body: '' });
const json = (statusCode: number, body: object): FcHttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(body),
});

export async function answerCallback(deps: CallbackDeps, req: HttpRequest, nowMs: number): Promise<FcHttpResult> {
  const route = Object.hasOwn(ROUTES, req.path) ? ROUTES[req.path] : undefined;
  if (!route || req.method !== 'POST') return bare(404);
  if (!tokenMatches(deps.token, req.query.token)) {
    deps.logger.warn('sms callback refused: wrong token', { path: req.path, sourceIp: req.sourceIp });
    return bare(401);
  }
  let body: unknown;
  try {
    body = JSON.parse(req.body.toString('utf8'));
  } catch {
    body = undefined;
  }
  const items = Array.isArray(body) ? body : isObject(body) ? [body] : undefined;
  if (!items) {
    deps.logger.warn('sms callback refused: not a JSON array or object', { path: req.path, bytes: req.body.length });
    return bare(400);
  }
  try {
    const outcome = await route.take(deps, items, nowMs);
    deps.logger.info('sms callback taken', { path: req.path, ...outcome });
    return json(200, route.ack);
  } catch (err) {
    deps.logger.error('sms callback failed; the provider pushes it again', { path: req.path, err });
    return json(503, route.retry);
  }
}
