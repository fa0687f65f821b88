/**
 * The local runtime: every function and trigger that s.yaml declares, on one machine.
 * HTTP triggers answer at /<functionName>/<path>, timers fire on their cron expressions
 * (on the platform clock), writes to the local object store fire matching OSS triggers,
 * and /-/invoke, /-/oss and /-/status serve the developer.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { now } from '#lib/clock';
import { config } from '#lib/config';
import { AppError, badRequest } from '#lib/errors';
import { createServer, readBody, type ServerLimits } from '#lib/fc/customRuntime';
import type { FcOssEvent, FcTimerEvent } from '#lib/fc/types';
import { featureStoreFrom } from '#lib/featureStore';
import { log } from '#lib/log';
import { metricsSinkFrom } from '#lib/metrics';
import { objectStoreFrom } from '#lib/objectStore';
import { LocalObjectStore, localObjectEvents, type LocalObjectEvent } from '#lib/objectStore/localStore';
import { smsSenderFrom } from '#lib/sms';
import { parseCron, type Schedule } from './cron';
import { LocalFunction, type InvokeResult } from './localFunction';
import { renderProject, type TriggerSpec } from './project';

interface Timer {
  fn: LocalFunction;
  trigger: TriggerSpec;
  schedule: Schedule;
}

const MAX_UPLOAD = 512 * 1024 * 1024;
/** As the CAPort's, with time for a large dataset upload. */
const LOCAL_LIMITS: ServerLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 300_000, keepAliveTimeoutMs: 65_000, maxConnections: 4096 };
const logger = log.child({ component: 'local-runtime' });

export class LocalPlatform {
  private timers: Timer[] = [];
  private tick?: NodeJS.Timeout;
  private lastSecond = 0;
  private stopped = false;
  private readonly onObject = (e: LocalObjectEvent) => this.fireOss(e);

  private constructor(
    readonly projectName: string,
    readonly functions: Map<string, LocalFunction>,
    private readonly server: http.Server,
  ) {}

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** `timers: false` leaves timer triggers unfired (benchmarks: on FC, timer work runs on other instances). */
  static async start(options: { root: string; port: number; host?: string; timers?: boolean }): Promise<LocalPlatform> {
    const project = await renderProject(options.root);
    const functions = new Map<string, LocalFunction>();
    for (const spec of project.functions) functions.set(spec.props.functionName, await LocalFunction.start(options.root, spec));
    const server = createServer(LOCAL_LIMITS);
    const platform = new LocalPlatform(project.name, functions, server);
    server.on('request', (req, res) => platform.route(req, res).catch((err) => platform.fail(res, err)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host ?? '127.0.0.1', resolve);
    });
    if (options.timers !== false) platform.startTimers();
    localObjectEvents.on('object', platform.onObject);
    return platform;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.tick);
    localObjectEvents.off('object', this.onObject);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    for (const fn of this.functions.values()) await fn.stop();
  }

  private fail(res: ServerResponse, err: unknown) {
    if (err instanceof AppError && err.status < 500) return this.json(res, err.status, { code: err.code, message: err.message });
    logger.error('local runtime error', { err });
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'local_runtime_error', message: (err as Error).message }));
  }

  private json(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body, null, 2));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const [pathname] = url.split('?');
    if (pathname === '/-/status' && req.method === 'GET') return this.json(res, 200, this.status());
    const invoke = /^\/-\/invoke\/([^/]+)$/.exec(pathname);
    if (invoke && req.method === 'POST') return this.invokeRoute(invoke[1], req, res);
    const oss = /^\/-\/oss\/([^/]+)\/(.+)$/.exec(pathname);
    if (oss) return this.ossRoute(oss[1], decodedKey(oss[2]), req, res);
    const fnMatch = /^\/([^/]+)(\/.*)?$/.exec(pathname);
    const fn = fnMatch && this.functions.get(fnMatch[1]);
    const trigger = fn?.spec.props.triggers?.find((t) => t.triggerType === 'http');
    if (!fn || !trigger) return this.json(res, 404, { code: 'not_found', message: `no HTTP trigger at ${pathname}` });
    const methods = (trigger.triggerConfig.methods as string[] | undefined) ?? [];
    if (!methods.includes(req.method ?? '')) {
      return this.json(res, 405, { code: 'method_not_allowed', message: `${fn.name} accepts ${methods.join(', ')}` });
    }
    await fn.handleHttp(req, res, url.slice(fnMatch![1].length + 1) || '/', trigger.triggerName);
  }

  private async invokeRoute(name: string, req: IncomingMessage, res: ServerResponse) {
    const fn = this.functions.get(name);
    if (!fn) return this.json(res, 404, { code: 'not_found', message: `no function ${name}` });
    const result = await fn.invoke(await readBody(req, 32 * 1024 * 1024), 'invoke');
    // As FC's InvokeFunction API: 200 with x-fc-error-type when the function failed.
    res.writeHead(200, { 'content-type': 'application/json', ...(result.errorType ? { 'x-fc-error-type': result.errorType } : {}) });
    res.end(result.body);
  }

  private async ossRoute(bucket: string, key: string, req: IncomingMessage, res: ServerResponse) {
    const c = config();
    if (c.objectStore !== 'local') return this.json(res, 409, { code: 'not_local', message: 'MKT_OBJECT_STORE is not local' });
    const store = new LocalObjectStore(c.localOssDir, bucket);
    if (req.method === 'PUT') return this.json(res, 200, await store.put(key, await readBody(req, MAX_UPLOAD)));
    if (req.method === 'GET') {
      const body = await store.get(key);
      if (!body) return this.json(res, 404, { code: 'NoSuchKey', message: key });
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void res.end(body);
    }
    return this.json(res, 405, { code: 'method_not_allowed', message: 'PUT or GET' });
  }

  /** Asynchronous invocation as FC does it for timers and OSS: retried on function errors. */
  private async invokeAsync(fn: LocalFunction, event: object, trigger: string): Promise<InvokeResult> {
    const retries = fn.spec.props.asyncInvokeConfig?.maxAsyncRetryAttempts ?? 3;
    const payload = Buffer.from(JSON.stringify(event));
    let result = await fn.invoke(payload, trigger);
    for (let attempt = 1; !result.ok && attempt <= retries && !this.stopped; attempt++) {
      await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
      result = await fn.invoke(payload, trigger);
    }
    if (!result.ok) logger.warn('async invocation failed after retries', { fn: fn.name, trigger, error: result.body.toString().slice(0, 300) });
    return result;
  }

  private startTimers() {
    for (const fn of this.functions.values()) {
      for (const trigger of fn.spec.props.triggers ?? []) {
        if (trigger.triggerType !== 'timer' || trigger.triggerConfig.enable === false) continue;
        this.timers.push({ fn, trigger, schedule: parseCron(String(trigger.triggerConfig.cronExpression)) });
      }
    }
    this.lastSecond = Math.floor(now() / 1000);
    const loop = () => {
      if (this.stopped) return;
      const second = Math.floor(now() / 1000);
      // Catch up on seconds a busy event loop skipped (at most a minute).
      for (let s = Math.max(this.lastSecond + 1, second - 60); s <= second; s++) this.fireTimers(s * 1000);
      this.lastSecond = second;
      this.tick = setTimeout(loop, 1000 - (now() % 1000) + 5);
      this.tick.unref();
    };
    loop();
  }

  private fireTimers(ms: number) {
    for (const t of this.timers) {
      if (!t.schedule.matches(ms)) continue;
      const event: FcTimerEvent = {
        triggerTime: new Date(ms).toISOString().replace('.000Z', 'Z'),
        triggerName: t.trigger.triggerName,
        payload: String(t.trigger.triggerConfig.payload ?? ''),
      };
      void this.invokeAsync(t.fn, event, t.trigger.triggerName);
    }
  }

  private fireOss(e: LocalObjectEvent) {
    for (const fn of this.functions.values()) {
      for (const trigger of fn.spec.props.triggers ?? []) {
        if (trigger.triggerType === 'oss' && ossTriggerMatches(trigger, e)) void this.invokeAsync(fn, ossEvent(e, fn), trigger.triggerName);
      }
    }
  }

  status() {
    const c = config();
    return {
      project: this.projectName,
      url: this.url,
      clock: new Date(now()).toISOString(),
      ports: {
        objectStore: objectStoreFrom(c).describe,
        featureStore: featureStoreFrom(c).describe,
        sms: smsSenderFrom(c).describe,
        metrics: metricsSinkFrom(c).describe,
      },
      functions: [...this.functions.values()].map((fn) => ({
        name: fn.name,
        runtime: fn.spec.props.runtime,
        entry: fn.http ? 'http-server (CAPort)' : `handler ${fn.spec.props.handler}`,
        triggers: (fn.spec.props.triggers ?? []).map((t) => ({
          name: t.triggerName,
          type: t.triggerType,
          ...(t.triggerType === 'http' ? { url: `${this.url}/${fn.name}/`, methods: t.triggerConfig.methods } : {}),
          ...(t.triggerType === 'timer' ? { cron: t.triggerConfig.cronExpression, enabled: t.triggerConfig.enable !== false } : {}),
          ...(t.triggerType === 'oss' ? { bucket: bucketOf(t), events: t.triggerConfig.events, filter: t.triggerConfig.filter } : {}),
        })),
        recent: fn.recent,
      })),
    };
  }
}

const bucketOf = (t: TriggerSpec) => (t.sourceArn ?? '').split(':').pop() ?? '';

/** FC's OSS trigger rule: bucket, event type (with `*`), and key prefix and suffix. */
export function ossTriggerMatches(t: TriggerSpec, e: LocalObjectEvent): boolean {
  const cfg = t.triggerConfig as { events?: string[]; filter?: { key?: { prefix?: string; suffix?: string } } };
  const { prefix = '', suffix = '' } = cfg.filter?.key ?? {};
  const eventMatches = (cfg.events ?? []).some((pattern) => {
    const p = pattern.replace(/^oss:/, '');
    return p.endsWith(':*') ? e.eventName.startsWith(p.slice(0, -1)) : p === e.eventName;
  });
  return bucketOf(t) === e.bucket && eventMatches && e.key.startsWith(prefix) && e.key.endsWith(suffix);
}

function ossEvent(e: LocalObjectEvent, fn: LocalFunction): FcOssEvent {
  const region = fn.spec.props.region ?? 'cn-hangzhou';
  return {
    events: [
      {
        eventName: e.eventName,
        eventSource: 'acs:oss',
        eventTime: new Date(now()).toISOString(),
        eventVersion: '1.0',
        region,
        oss: {
          bucket: { arn: `acs:oss:${region}:local:${e.bucket}`, name: e.bucket, ownerIdentity: 'local', virtualBucket: '' },
          object: { key: encodeURIComponent(e.key).replace(/%2F/g, '/'), size: e.size, deltaSize: e.size, eTag: e.eTag },
          ossSchemaVersion: '1.0',
          ruleId: 'local',
        },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { requestId: randomUUID().replace(/-/g, '').slice(0, 24).toUpperCase() },
        userIdentity: { principalId: 'local' },
      },
    ],
  };
}

/** An object key from the URL path; malformed percent-encoding is the client's error. */
function decodedKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw badRequest('invalid_key', 'the object key is not valid percent-encoding');
  }
}
