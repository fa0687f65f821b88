/**
 * sms-feedback as FC runs it, minus the network: FC's HTTP-trigger event (the fc3 sample, with the
 * provider's push as its body) decoded by the FC glue and handed to the function's use case, over
 * the real Redis ledger (a test prefix) and an in-process profile book. Log lines are kept.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { ContactLedger } from '#lib/contacts';
import { RedisContactLedger } from '#lib/contacts/redisLedger';
import { decodeInvocation } from '#lib/fc/decode';
import type { FcContext, FcHttpResult } from '#lib/fc/types';
import { createLogger } from '#lib/log';
import { PhoneVault, ProfileBook } from '#lib/profiles';
import { MemoryProfileStore } from '#lib/profiles/memoryStore';
import type { DeliveryLookup } from '#lib/sms/feedback';
import { feedbackUseCase } from '../../functions/smsFeedback/app';
import { onTestPrefix } from '../contract/redisTestPrefix';

export const TOKEN = 'test-callback-token-0123456789abcdef';

const root = path.resolve(__dirname, '../..');
export const fixture = <T = unknown>(name: string): T => JSON.parse(readFileSync(path.join(root, 'test/fixtures/sms', name), 'utf8')) as T;

/** FC's HTTP-trigger event for a built-in runtime (test/fixtures/fc3/events/http.json), carrying `body`. */
export function httpEvent(urlPath: string, body: unknown, query: Record<string, string> = { token: TOKEN }, method = 'POST'): Buffer {
  const event = JSON.parse(readFileSync(path.join(root, 'test/fixtures/fc3/events/http.json'), 'utf8'));
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  event.rawPath = urlPath;
  event.requestContext.http.path = urlPath;
  event.requestContext.http.method = method;
  event.headers = { 'Content-Type': 'application/json' };
  event.queryParameters = query;
  event.body = Buffer.from(text).toString('base64');
  event.isBase64Encoded = true;
  return Buffer.from(JSON.stringify(event));
}

const context: FcContext = { requestId: 'test', function: { name: 'sms-feedback' } };

export interface Feedback {
  ledger: ContactLedger;
  profiles: ProfileBook;
  /** One invocation, as the FC handler takes it. */
  invoke(event: Buffer, nowMs?: number): Promise<unknown>;
  post(urlPath: string, body: unknown, query?: Record<string, string>): Promise<FcHttpResult>;
  logs: string[];
  teardown(): Promise<void>;
}

/** `clock` is the function's now: every test names its own, so none depends on the day it runs. */
export function feedback(options: {
  lookup?: DeliveryLookup;
  clock: () => number;
  ledger?: ContactLedger;
  reconcileAfterMs?: number;
}): Feedback {
  const { adapter, teardown } = onTestPrefix((url, prefix) => new RedisContactLedger({ url, prefix }));
  const ledger = options.ledger ?? adapter;
  const profiles = new ProfileBook(new MemoryProfileStore(), new PhoneVault(Buffer.alloc(32, 7)));
  const logs: string[] = [];
  const logger = createLogger({ fn: 'sms-feedback' }, (line) => logs.push(line));
  const { clock } = options;
  const invoke = (event: Buffer, nowMs?: number) => {
    const useCase = feedbackUseCase({
      token: TOKEN,
      ledger,
      profiles,
      lookup: options.lookup,
      reconcileAfterMs: options.reconcileAfterMs ?? 30 * 60_000,
      qps: 1000,
      priceMilliYuan: 45,
      clock: () => nowMs ?? clock(),
    });
    return useCase(decodeInvocation(event), context, logger);
  };
  return {
    ledger,
    profiles,
    invoke,
    post: async (urlPath, body, query) => (await invoke(httpEvent(urlPath, body, query))) as FcHttpResult,
    logs,
    teardown,
  };
}

/** The log lines (parsed) whose `msg` is this. */
export const logged = (logs: string[], msg: string) => logs.map((l) => JSON.parse(l)).filter((l) => l.msg === msg);

/** Sends to a local fake while the Tencent SDK signs for the real host name (its first label is the service). */
export const toLocalhost = new http.Agent({
  lookup: (_host, options, cb) =>
    (options as { all?: boolean }).all
      ? (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }])
      : cb(null, '127.0.0.1', 4),
});

/** Person i's number: 1370, i in 6 digits, 5, so no fake's refusing suffix (0000, 1111, 4444, 9999) is ever hit. */
export const phoneOf = (i: number) => `1370${String(i).padStart(6, '0')}5`;
