/**
 * One FC function running in the local runtime, called through the entry FC calls:
 * `handler(event, context)` for built-in runtimes; for custom runtimes and containers,
 * the HTTP server the function starts on its CAPort, spoken to with FC's control paths.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readBody } from '#lib/fc/customRuntime';
import { log } from '#lib/log';
import type { EventHandler, FcContext, FcHttpEvent, FcHttpResult, Initializer } from '#lib/fc/types';
import { codeDir, speaksHttp, type FunctionSpec } from './project';

const logger = log.child({ component: 'local-runtime' });

export interface InvocationRecord {
  at: string;
  trigger: string;
  outcome: 'ok' | 'error' | 'timeout';
  status?: number;
  durationMs: number;
  error?: string;
}

export interface InvokeResult {
  ok: boolean;
  body: Buffer;
  errorType?: string;
}

const RECENT = 20;
const MAX_HTTP_BODY = 32 * 1024 * 1024;

function entryFile(spec: FunctionSpec): string {
  const p = spec.props as { customRuntimeConfig?: { args?: string[] }; customContainerConfig?: { command?: string[] } };
  const fromArgs = p.customRuntimeConfig?.args?.find((a) => a.endsWith('.js')) ?? p.customContainerConfig?.command?.at(-1);
  if (fromArgs) return path.basename(fromArgs);
  return `${(spec.props.handler ?? 'index.handler').split('.')[0]}.js`;
}

const toBuffer = (value: unknown): Buffer =>
  Buffer.isBuffer(value) ? value : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value ?? null));

export class LocalFunction {
  readonly name: string;
  readonly recent: InvocationRecord[] = [];
  private listener?: RequestListener;
  private server?: http.Server;
  private handler?: EventHandler;
  private initializer?: Initializer;

  private constructor(
    readonly spec: FunctionSpec,
    private readonly mod: Record<string, unknown>,
  ) {
    this.name = spec.props.functionName;
  }

  /** Loads the built code, as FC would start an instance, and runs its initializer hook. */
  static async start(root: string, spec: FunctionSpec): Promise<LocalFunction> {
    const file = path.join(codeDir(root, spec), entryFile(spec));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fn = new LocalFunction(spec, require(file) as Record<string, unknown>);
    await fn.boot();
    return fn;
  }

  get http(): boolean {
    return speaksHttp(this.spec.props.runtime);
  }

  private async boot(): Promise<void> {
    const initializerConfigured = Boolean(this.spec.props.instanceLifecycleConfig?.initializer);
    if (this.http) {
      const listener = this.mod.requestListener;
      if (typeof listener !== 'function') throw new Error(`${this.name}: custom runtime code must export requestListener`);
      this.listener = listener as RequestListener;
      this.server = http.createServer(this.listener);
      await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
      if (initializerConfigured) {
        const reply = await this.control('POST', '/initialize');
        if (!reply.ok) throw new Error(`${this.name}: initializer failed: ${reply.body.toString()}`);
      }
    } else {
      const exportName = (this.spec.props.handler ?? 'index.handler').split('.').pop()!;
      const handler = this.mod[exportName];
      if (typeof handler !== 'function') throw new Error(`${this.name}: ${entryFile(this.spec)} does not export ${exportName}`);
      this.handler = handler as EventHandler;
      const initName = this.spec.props.instanceLifecycleConfig?.initializer?.handler?.split('.').pop();
      if (initName) {
        this.initializer = this.mod[initName] as Initializer;
        await this.initializer?.(this.context());
      }
    }
  }

  private context(requestId: string = randomUUID()): FcContext {
    const { ALIBABA_CLOUD_ACCESS_KEY_ID: id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret, ALIBABA_CLOUD_SECURITY_TOKEN: token } = process.env;
    return {
      requestId,
      credentials: id && secret ? { accessKeyId: id, accessKeySecret: secret, securityToken: token } : undefined,
      function: { name: this.name, handler: this.spec.props.handler, memory: this.spec.props.memorySize, timeout: this.spec.props.timeout },
      region: this.spec.props.region,
      accountId: 'local',
    };
  }

  private fcHeaders(requestId: string, controlPath: string): Record<string, string> {
    return {
      'x-fc-request-id': requestId,
      'x-fc-control-path': controlPath,
      'x-fc-function-name': this.name,
      'x-fc-function-memory': String(this.spec.props.memorySize ?? 512),
      'x-fc-region': this.spec.props.region ?? 'local',
      'x-fc-account-id': 'local',
    };
  }

  private record(trigger: string, started: number, outcome: InvocationRecord['outcome'], extra: Partial<InvocationRecord> = {}) {
    this.recent.unshift({
      at: new Date().toISOString(),
      trigger,
      outcome,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...extra,
    });
    this.recent.length = Math.min(this.recent.length, RECENT);
  }

  /** A request to the instance's CAPort on one of FC's control paths. */
  private control(
    method: 'GET' | 'POST',
    controlPath: string,
    body: Buffer = Buffer.alloc(0),
    requestId = randomUUID(),
  ): Promise<InvokeResult> {
    const { port } = this.server!.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method,
          path: controlPath,
          headers: { ...this.fcHeaders(requestId, controlPath), 'content-type': 'application/octet-stream' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const failed = res.headers['x-fc-status'] === '404' || (res.statusCode ?? 500) >= 300;
            resolve({ ok: !failed, body: Buffer.concat(chunks), errorType: failed ? 'UnhandledInvocationError' : undefined });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** An event invocation (`s invoke --event-file`, timers, OSS): resolves with the result, never throws. */
  async invoke(event: Buffer, trigger: string): Promise<InvokeResult> {
    const started = performance.now();
    const timeoutMs = (this.spec.props.timeout ?? 3) * 1000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<InvokeResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, body: toBuffer({ errorMessage: `timed out after ${timeoutMs} ms` }), errorType: 'FunctionTimeout' }),
        timeoutMs,
      );
    });
    const call = async (): Promise<InvokeResult> => {
      if (this.http) return this.control('POST', '/invoke', event);
      try {
        return { ok: true, body: toBuffer(await this.handler!(event, this.context())) };
      } catch (err) {
        const e = err as Error;
        return { ok: false, body: toBuffer({ errorMessage: e.message, errorType: e.name }), errorType: 'UnhandledInvocationError' };
      }
    };
    const result = await Promise.race([call(), timedOut]).finally(() => clearTimeout(timer));
    const outcome = result.ok ? 'ok' : result.errorType === 'FunctionTimeout' ? 'timeout' : 'error';
    this.record(trigger, started, outcome, result.ok ? {} : { error: result.body.toString().slice(0, 300) });
    return result;
  }

  /** An HTTP-trigger request; `subPath` is what the function sees (`/v1/events?x=1`). */
  async handleHttp(req: IncomingMessage, res: ServerResponse, subPath: string, trigger: string): Promise<void> {
    const started = performance.now();
    res.on('finish', () => this.record(trigger, started, res.statusCode >= 500 ? 'error' : 'ok', { status: res.statusCode }));
    const requestId = randomUUID();
    if (this.listener) {
      req.url = subPath;
      Object.assign(req.headers, this.fcHeaders(requestId, '/http-invoke'), {
        'x-forwarded-for': req.socket.remoteAddress ?? '127.0.0.1',
      });
      this.listener(req, res);
      return;
    }
    const body = await readBody(req, MAX_HTTP_BODY);
    const result = await this.handler!(
      Buffer.from(JSON.stringify(httpEvent(req, subPath, body, requestId))),
      this.context(requestId),
    ).catch((err: Error) => ({ statusCode: 502, body: JSON.stringify({ errorMessage: err.message }) }));
    const r = (
      typeof result === 'object' && result && 'statusCode' in result ? result : { statusCode: 200, body: toBuffer(result).toString() }
    ) as FcHttpResult;
    res.writeHead(r.statusCode, r.headers ?? {});
    res.end(r.isBase64Encoded ? Buffer.from(r.body, 'base64') : r.body);
  }

  /** Stops the instance as FC does: its pre-stop hook first, when s.yaml declares one. */
  async stop(): Promise<void> {
    if (this.server && this.spec.props.instanceLifecycleConfig?.preStop) {
      const reply = await this.control('GET', '/pre-stop');
      if (!reply.ok) logger.warn('pre-stop hook failed', { fn: this.name, body: reply.body.toString() });
    }
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}

/** The HTTP trigger payload FC builds for built-in runtimes. */
function httpEvent(req: IncomingMessage, subPath: string, body: Buffer, requestId: string): FcHttpEvent {
  const url = new URL(subPath, 'http://local');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const now = new Date();
  return {
    version: 'v1',
    rawPath: url.pathname,
    body: body.toString('base64'),
    isBase64Encoded: true,
    headers,
    queryParameters: Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k).join(',')])),
    requestContext: {
      accountId: 'local',
      domainName: req.headers.host ?? 'localhost',
      domainPrefix: 'local',
      requestId,
      time: now.toISOString(),
      timeEpoch: String(now.getTime()),
      http: {
        method: req.method ?? 'GET',
        path: decodeURIComponent(url.pathname),
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
    },
  };
}
