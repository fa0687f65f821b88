/**
 * Reads s.yaml the way `s deploy` does: rendered by the real Serverless Devs CLI
 * (`s preview -o json`, which works offline), then reduced to what the local runtime runs.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

export interface TriggerSpec {
  triggerName: string;
  triggerType: string;
  sourceArn?: string;
  triggerConfig: Record<string, unknown>;
}

export interface LifecycleHook {
  handler?: string;
  timeout?: number;
}

export interface FunctionSpec {
  /** The s.yaml resource key. */
  resource: string;
  props: {
    functionName: string;
    runtime: string;
    code?: string;
    handler?: string;
    timeout?: number;
    memorySize?: number;
    region?: string;
    instanceLifecycleConfig?: { initializer?: LifecycleHook; preStop?: LifecycleHook };
    environmentVariables?: Record<string, string>;
    asyncInvokeConfig?: { maxAsyncRetryAttempts?: number };
    triggers?: TriggerSpec[];
    [key: string]: unknown;
  };
}

export interface RenderedProject {
  name: string;
  functions: FunctionSpec[];
}

const run = promisify(execFile);

/** Runs `s preview -o json` on the given s.yaml, reading `${env(...)}` from `env`, and returns its fc3 resources. */
export async function renderProject(root: string, template = 's.yaml', env: NodeJS.ProcessEnv = process.env): Promise<RenderedProject> {
  const cli = path.join(root, 'node_modules', '.bin', 's');
  const { stdout } = await run(cli, ['preview', '-t', template, '-o', 'json'], {
    cwd: root,
    env: { ...env, CI: 'true' },
    maxBuffer: 16 * 1024 * 1024,
  });
  // The CLI may print warnings before the document.
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`s preview printed no JSON:\n${stdout}`);
  const doc = JSON.parse(stdout.slice(start)) as {
    name: string;
    resources: Record<string, { component: string; props: FunctionSpec['props'] }>;
  };
  const functions = Object.entries(doc.resources)
    .filter(([, r]) => r.component === 'fc3')
    .map(([resource, r]) => ({ resource, props: r.props }));
  return { name: doc.name, functions };
}

/** Web functions and containers speak HTTP on the CAPort; built-in runtimes take `handler(event, context)`. */
export const speaksHttp = (runtime: string) => runtime.startsWith('custom');

/** Where a function's built code lives: `code` when s.yaml names a folder, else dist/<functionName> (containers). */
export function codeDir(root: string, spec: FunctionSpec): string {
  const code = spec.props.code;
  return path.resolve(root, typeof code === 'string' ? code : path.join('dist', spec.props.functionName));
}
