/**
 * A wire-level fake of FC3's control API: the signature checks and InvokeFunction of the local
 * runtime (scripts/local/fc3Api.ts), plus PutProvisionConfig with its field rules. Accepted
 * asynchronous invocations are kept in `submitted` for the test to run as FC would.
 */
import { apiError, invokeFunctionRoute, refuseUnsigned, type ApiReply, type ApiRequest } from '../../scripts/local/fc3Api';
import { startFake, type HttpFake } from './httpFake';

export interface SubmittedTask {
  functionName: string;
  taskId: string;
  payload: unknown;
}

export type Fc3Fake = HttpFake & { configs: Map<string, Record<string, unknown>>; submitted: SubmittedTask[] };

function putProvisionConfig(r: ApiRequest, configs: Map<string, Record<string, unknown>>): ApiReply {
  const url = new URL(r.url, 'http://fake');
  const match = /^\/2023-03-30\/functions\/([^/]+)\/provision-config$/.exec(url.pathname);
  if (r.method !== 'PUT' || !match || r.headers['x-acs-action'] !== 'PutProvisionConfig')
    return apiError(404, 'NotFound', `no route ${r.method} ${url.pathname}`);
  const body = JSON.parse(r.body.toString()) as {
    defaultTarget?: unknown;
    scheduledActions?: { name?: string; scheduleExpression?: string; target?: number }[];
  };
  if (!Number.isInteger(body.defaultTarget) || (body.defaultTarget as number) < 0)
    return apiError(400, 'InvalidArgument', 'defaultTarget must be an integer ≥ 0');
  for (const a of body.scheduledActions ?? []) {
    if (!a.name || !/^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$/.test(a.scheduleExpression ?? '') || !Number.isInteger(a.target)) {
      return apiError(400, 'InvalidArgument', `invalid scheduled action ${JSON.stringify(a)}`);
    }
  }
  configs.set(`${match[1]}@${url.searchParams.get('qualifier') ?? 'LATEST'}`, body);
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, functionArn: `acs:fc:cn-hangzhou:123:functions/${match[1]}`, current: 2 }),
  };
}

/** `functions` are the names InvokeFunction knows (any name when omitted). */
export async function startFc3Fake(keys: Record<string, string>, functions?: string[]): Promise<Fc3Fake> {
  const configs = new Map<string, Record<string, unknown>>();
  const submitted: SubmittedTask[] = [];
  const invoke = invokeFunctionRoute(
    (functionName) =>
      functions && !functions.includes(functionName)
        ? undefined
        : {
            sync: async () => ({ body: Buffer.from('null') }),
            async: (payload, taskId) => submitted.push({ functionName, taskId, payload: JSON.parse(payload.toString()) }),
          },
    new Set(),
  );
  const fake = await startFake(async (r) => refuseUnsigned(r, keys) ?? (await invoke(r)) ?? putProvisionConfig(r, configs));
  return Object.assign(fake, { configs, submitted });
}
