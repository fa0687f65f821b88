/**
 * Starts a built function as FC starts an instance of it, from its rendered s.yaml props alone:
 * its code folder, exactly its `environmentVariables` plus the variables FC itself sets, and its
 * entry: the built-in Node.js runtime's `handler(event, context)`, or a custom runtime's or
 * container's `command`/`args` listening on the CAPort and spoken to with FC's control paths.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { AlibabaCredentials } from '#lib/cloud/credentials';
import { codeDir, speaksHttp, type FunctionSpec } from '../../scripts/local/project';
import { hostClockEnv } from '../hostClock';

const root = path.resolve(__dirname, '../..');
/** Where FC's custom runtimes keep Node.js 20, and where a container's code lies. */
const FC_NODE = /^\/var\/fc\/lang\/nodejs\d+\/bin\/node$/;
const CONTAINER_CODE = '/code/';

export const FC_ACCOUNT_ID = '1234567890123456';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FcInstance {
  /** Everything the instance printed. */
  output(): string;
  /** An event invocation: `handler(event, context)`, or `POST /invoke` on the CAPort. */
  invoke(event: Buffer, credentials?: AlibabaCredentials): Promise<{ ok: boolean; result: unknown }>;
  /** A request on the CAPort (custom runtimes and containers only). */
  request(
    method: string,
    urlPath: string,
    options?: { controlPath?: string; headers?: Record<string, string>; body?: string | Buffer; credentials?: AlibabaCredentials },
  ): Promise<Reply>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The variables FC sets in every instance (fc3's local emulator lists the same). */
function fcVariables(spec: FunctionSpec, dir: string, credentials: AlibabaCredentials, port?: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    FC_FUNCTION_NAME: spec.props.functionName,
    FC_FUNCTION_HANDLER: spec.props.handler ?? '',
    FC_FUNCTION_MEMORY_SIZE: String(spec.props.memorySize ?? 512),
    FC_REGION: spec.props.region ?? 'cn-hangzhou',
    FC_ACCOUNT_ID,
    FC_INSTANCE_ID: randomUUID(),
    FC_FUNC_CODE_PATH: `${dir}/`,
    ...(port ? { FC_CUSTOM_LISTEN_PORT: String(port) } : {}),
    ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: credentials.securityToken ?? '',
  };
}

const fcContext = (spec: FunctionSpec, credentials?: AlibabaCredentials) => ({
  requestId: randomUUID(),
  credentials,
  function: { name: spec.props.functionName, handler: spec.props.handler, memory: spec.props.memorySize, timeout: spec.props.timeout },
  region: spec.props.region,
  accountId: FC_ACCOUNT_ID,
});

function capture(child: ChildProcess): () => string {
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
    socket.once('connect', () => socket.destroy());
  });

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));

/** Starts one instance of `spec`'s function; `credentials` are the role's at start. */
export async function startInstance(spec: FunctionSpec, credentials: AlibabaCredentials): Promise<FcInstance> {
  const dir = codeDir(root, spec);
  const env = (port?: number) => ({ ...spec.props.environmentVariables, ...fcVariables(spec, dir, credentials, port), ...hostClockEnv() });
  return speaksHttp(spec.props.runtime) ? startCaPort(spec, dir, env(await freePort())) : startEventRuntime(spec, dir, env());
}

async function startEventRuntime(spec: FunctionSpec, dir: string, env: Record<string, string>): Promise<FcInstance> {
  const child = fork(path.join(__dirname, 'nodejsRuntime.js'), [], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const output = capture(child);
  const pending = new Map<string, (reply: { ok: boolean; result?: unknown; error?: unknown }) => void>();
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${spec.props.functionName} exited with ${code} before it was ready:\n${output()}`)));
    child.on('message', (m: { ready?: boolean; id?: string }) => (m.ready ? resolve() : pending.get(m.id!)?.(m as never)));
  });
  return {
    output,
    invoke: (event, credentials) =>
      new Promise((resolve) => {
        const id = randomUUID();
        pending.set(id, (reply) => resolve({ ok: reply.ok, result: reply.ok ? reply.result : reply.error }));
        child.send({ id, event: event.toString('base64'), context: fcContext(spec, credentials) });
      }),
    request: () => Promise.reject(new Error('built-in runtimes have no CAPort')),
    stop: async () => {
      child.kill();
      await exited(child);
    },
  };
}

async function startCaPort(spec: FunctionSpec, dir: string, env: Record<string, string>): Promise<FcInstance> {
  const p = spec.props as FunctionSpec['props'] & {
    customRuntimeConfig?: { command: string[]; args?: string[] };
    customContainerConfig?: { command: string[]; args?: string[] };
  };
  const { command, args = [] } = p.customRuntimeConfig ?? p.customContainerConfig!;
  const local = (a: string) =>
    FC_NODE.test(a) || a === 'node' ? process.execPath : a.startsWith(CONTAINER_CODE) ? path.join(dir, a.slice(CONTAINER_CODE.length)) : a;
  const [bin, ...rest] = [...command, ...args].map(local);
  const child = spawn(bin, rest, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = capture(child);
  const port = Number(env.FC_CUSTOM_LISTEN_PORT);
  const deadline = Date.now() + 20_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${spec.props.functionName} did not listen on the CAPort ${port}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const request: FcInstance['request'] = (method, urlPath, o = {}) =>
    new Promise((resolve, reject) => {
      const body = o.body ?? '';
      const c = o.credentials;
      const headers: Record<string, string> = {
        'x-fc-request-id': randomUUID(),
        'x-fc-control-path': o.controlPath ?? '/http-invoke',
        'x-fc-function-name': spec.props.functionName,
        'x-fc-function-memory': String(spec.props.memorySize ?? 512),
        'x-fc-region': spec.props.region ?? 'cn-hangzhou',
        'x-fc-account-id': FC_ACCOUNT_ID,
        ...(c
          ? {
              'x-fc-access-key-id': c.accessKeyId,
              'x-fc-access-key-secret': c.accessKeySecret,
              'x-fc-security-token': c.securityToken ?? '',
            }
          : {}),
        ...o.headers,
      };
      const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  return {
    output,
    request,
    invoke: async (event, credentials) => {
      const reply = await request('POST', '/invoke', {
        controlPath: '/invoke',
        headers: { 'content-type': 'application/octet-stream' },
        body: event,
        credentials,
      });
      return { ok: reply.status === 200 && reply.headers['x-fc-status'] !== '404', result: JSON.parse(reply.body) };
    },
    stop: async () => {
      child.kill();
      await exited(child);
    },
  };
}
