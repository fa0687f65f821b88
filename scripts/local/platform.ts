/**
 * The local runtime: every function and trigger that s.yaml declares, on one machine.
 * HTTP triggers answer at /<functionName>/<path>; timers (timers.ts) fire on their cron
 * expressions on the platform clock; writes to the local object store fire matching OSS
 * triggers (ossTriggers.ts); FC3's InvokeFunction API answers under /2023-03-30/ (fc3Api.ts:
 * the functions' own asynchronous invocations, as on FC); /-/invoke, /-/oss (devObjectStore.ts),
 * /-/status (status.ts), /-/metrics and /-/dashboard (metricsRoutes.ts, dashboard.ts) serve the
 * developer. This module starts and stops it all and routes requests.
 */
import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CA_PORT_LIMITS, createServer, readBody, type ServerLimits } from '#lib/fc/customRuntime';
import { LOCAL_RUNTIME_KEY } from '#lib/fanout';
import { localObjectEvents, type LocalObjectEvent } from '#lib/objectStore/localStore';
import { asyncInvoker } from './asyncInvoke';
import { dashboardPage } from './dashboard';
import { objectStoreRoute } from './devObjectStore';
import { invokeFunctionRoute, refuseUnsigned, type ApiReply } from './fc3Api';
import { LocalFunction } from './localFunction';
import { fireOssTriggers } from './ossTriggers';
import { renderProject } from './project';
import { DEFAULT_MEASURED, DEFAULT_PROFILE, monthlyCost, newestPrices } from '../cost/run';
import type { CostBreakdown } from '../cost/model';
import { lastHour, localMetrics, prometheusText } from './metricsRoutes';
import { fail, json } from './reply';
import { platformStatus } from './status';
import { LocalTimers } from './timers';

/** As the CAPort's, with time for a large dataset upload and room for every function's connections. */
const LOCAL_LIMITS: ServerLimits = { ...CA_PORT_LIMITS, requestTimeoutMs: 300_000, maxConnections: 4096 };
const MAX_EVENT_BYTES = 32 * 1024 * 1024;

export class LocalPlatform {
  private stopped = false;
  /** Set once every function is registered and its triggers armed: until then /-/status answers 503. */
  private ready = false;
  private readonly invokeAsync = asyncInvoker(() => this.stopped);
  private timers?: LocalTimers;
  private readonly onObject = (e: LocalObjectEvent) => fireOssTriggers(this.functions.values(), e, this.invokeAsync);
  private readonly fcApi = invokeFunctionRoute((name) => {
    const fn = this.functions.get(name);
    return fn && { sync: (payload) => fn.invoke(payload, 'fc-api'), async: (payload) => void this.invokeAsync(fn, payload, 'fc-api') };
  }, new Set());

  private constructor(
    readonly projectName: string,
    readonly functions: Map<string, LocalFunction>,
    private readonly server: http.Server,
  ) {}

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /**
   * `timers: false` leaves timer triggers unfired (benchmarks: on FC, timer work runs on other
   * instances); `startFunction` replaces how one function is started (a test holds one back).
   */
  static async start(options: {
    root: string;
    port: number;
    host?: string;
    timers?: boolean;
    startFunction?: typeof LocalFunction.start;
  }): Promise<LocalPlatform> {
    const startFunction = options.startFunction ?? LocalFunction.start;
    const project = await renderProject(options.root);
    const functions = new Map<string, LocalFunction>();
    const server = createServer(LOCAL_LIMITS);
    const platform = new LocalPlatform(project.name, functions, server);
    server.on('request', (req, res) => platform.route(req, res).catch((err) => fail(res, err)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host ?? '127.0.0.1', resolve);
    });
    // Listening first, so the functions find FC's API here, as they find it on FC.
    process.env.MKT_FC_ENDPOINT ??= platform.url;
    for (const spec of project.functions) functions.set(spec.props.functionName, await startFunction(options.root, spec));
    platform.timers = new LocalTimers(functions.values(), platform.invokeAsync);
    if (options.timers !== false) platform.timers.start();
    localObjectEvents.on('object', platform.onObject);
    platform.ready = true;
    return platform;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers?.stop();
    localObjectEvents.off('object', this.onObject);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    for (const fn of this.functions.values()) await fn.stop();
  }

  status() {
    return { ready: this.ready, ...platformStatus(this.projectName, this.url, this.functions.values()) };
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const [pathname] = url.split('?');
    if (pathname === '/-/status' && req.method === 'GET') return json(res, this.ready ? 200 : 503, this.status());
    if (pathname.startsWith('/2023-03-30/')) return this.fcApiRoute(req, res);
    if (req.method === 'GET' && ['/-/metrics', '/-/metrics.json', '/-/dashboard'].includes(pathname))
      return this.metricsRoute(pathname, res);
    if (req.method === 'GET' && pathname === '/-/cost.json') return json(res, 200, await this.projectedCost());
    const invoke = /^\/-\/invoke\/([^/]+)$/.exec(pathname);
    if (invoke && req.method === 'POST') return this.invokeRoute(invoke[1], req, res);
    const oss = /^\/-\/oss\/([^/]+)\/(.+)$/.exec(pathname);
    if (oss) return objectStoreRoute(oss[1], oss[2], req, res);
    const fnMatch = /^\/([^/]+)(\/.*)?$/.exec(pathname);
    const fn = fnMatch && this.functions.get(fnMatch[1]);
    const trigger = fn?.spec.props.triggers?.find((t) => t.triggerType === 'http');
    if (!fn && !this.ready)
      return json(res, 503, {
        code: 'starting',
        message: 'the platform is still starting its functions; GET /-/status answers 200 when it is ready',
      });
    if (!fn || !trigger) return json(res, 404, { code: 'not_found', message: `no HTTP trigger at ${pathname}` });
    const methods = (trigger.triggerConfig.methods as string[] | undefined) ?? [];
    if (!methods.includes(req.method ?? '')) {
      return json(res, 405, { code: 'method_not_allowed', message: `${fn.name} accepts ${methods.join(', ')}` });
    }
    await fn.handleHttp(req, res, url.slice(fnMatch![1].length + 1) || '/', trigger.triggerName);
  }

  private cost?: Promise<{ currency: string; byFunction: Record<string, number>; byCategory: Record<string, number> }>;

  /** The example traffic profile's monthly bill (npm run cost), by function and by category, for the dashboard. */
  private projectedCost() {
    const summary = (b: CostBreakdown) => ({
      currency: b.currency,
      byFunction: Object.fromEntries(b.functions.map((f) => [f.name, f.cost])),
      byCategory: b.serverless.byCategory,
    });
    this.cost ??= monthlyCost({ profile: DEFAULT_PROFILE, prices: newestPrices(), measured: DEFAULT_MEASURED }).then(summary);
    return this.cost;
  }

  private async metricsRoute(pathname: string, res: ServerResponse) {
    if (pathname === '/-/dashboard') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(dashboardPage());
    }
    const sink = await localMetrics(this.functions.values());
    if (!sink)
      return json(res, 404, {
        code: 'not_local',
        message: 'metrics go to CloudMonitor (MKT_METRICS=cloudmonitor); the local views need MKT_METRICS=local',
      });
    if (pathname === '/-/metrics.json') return json(res, 200, lastHour(sink));
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(prometheusText(sink));
  }

  /** FC3's API, signed with the environment's Alibaba Cloud key or the local runtime's own. */
  private async fcApiRoute(req: IncomingMessage, res: ServerResponse) {
    const keys: Record<string, string> = { [LOCAL_RUNTIME_KEY.accessKeyId]: LOCAL_RUNTIME_KEY.accessKeySecret };
    const { ALIBABA_CLOUD_ACCESS_KEY_ID: id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret } = process.env;
    if (id && secret) keys[id] = secret;
    const r = { method: req.method ?? '', url: req.url ?? '/', headers: req.headers, body: await readBody(req, MAX_EVENT_BYTES) };
    const reply: ApiReply = refuseUnsigned(r, keys) ??
      (await this.fcApi(r)) ?? {
        status: 404,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Code: 'NotFound', Message: `the local runtime serves InvokeFunction only, not ${r.method} ${r.url}` }),
      };
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  }

  /** `POST /-/invoke/<fn>`, as `s invoke --event-file`. */
  private async invokeRoute(name: string, req: IncomingMessage, res: ServerResponse) {
    const fn = this.functions.get(name);
    if (!fn) return json(res, 404, { code: 'not_found', message: `no function ${name}` });
    const result = await fn.invoke(await readBody(req, MAX_EVENT_BYTES), 'invoke');
    // As FC's InvokeFunction API: 200 with x-fc-error-type when the function failed.
    res.writeHead(200, { 'content-type': 'application/json', ...(result.errorType ? { 'x-fc-error-type': result.errorType } : {}) });
    res.end(result.body);
  }
}
