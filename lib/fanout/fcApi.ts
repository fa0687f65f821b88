/**
 * The async invoker on FC3's API through `@alicloud/fc20230330` (InvokeFunction, ACS3-HMAC-SHA256
 * signed, the STS credentials current at each call). The local runtime serves the same call.
 */
import { Readable } from 'node:stream';
import FC, { InvokeFunctionHeaders, InvokeFunctionRequest } from '@alicloud/fc20230330';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { RuntimeOptions } from '@darabonba/typescript';
import { rebuiltOnRotation, type CredentialsProvider } from '#lib/cloud/credentials';
import { badRequest, unavailable } from '#lib/errors';
import { MAX_ASYNC_PAYLOAD_BYTES, type AsyncInvoker, type Submitted } from './port';

export interface FcApiOptions {
  /** `https://<account>.<region>.fc.aliyuncs.com`, or the local runtime's URL. */
  endpoint: URL;
  credentials: CredentialsProvider;
  timeoutMs?: number;
}

export class FcApiInvoker implements AsyncInvoker {
  readonly describe: string;
  private readonly client: () => FC;

  constructor(private readonly o: FcApiOptions) {
    this.describe = `fc3:${o.endpoint.host}`;
    this.client = rebuiltOnRotation(
      o.credentials,
      (c) => new FC(new $OpenApiUtil.Config({ ...c, endpoint: o.endpoint.host, protocol: o.endpoint.protocol.replace(':', '') })),
    );
  }

  async submit(functionName: string, payload: object, taskId: string): Promise<Submitted> {
    const body = Buffer.from(JSON.stringify(payload));
    if (body.length > MAX_ASYNC_PAYLOAD_BYTES)
      throw badRequest(
        'payload_too_large',
        `task ${taskId} is ${body.length} bytes; FC takes at most ${MAX_ASYNC_PAYLOAD_BYTES} asynchronously`,
      );
    const headers = new InvokeFunctionHeaders({ xFcInvocationType: 'Async', xFcAsyncTaskId: taskId });
    const timeout = this.o.timeoutMs ?? 5000;
    try {
      await this.client().invokeFunctionWithOptions(
        functionName,
        new InvokeFunctionRequest({ body: Readable.from([body]) }),
        headers,
        new RuntimeOptions({ readTimeout: timeout, connectTimeout: timeout }),
      );
      return 'accepted';
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 409) return 'duplicate';
      // Throttled, FC unavailable or no answer: the coordinator fails and FC retries it; resubmitted ids are refused.
      throw unavailable(
        'fc_invoke_failed',
        `InvokeFunction ${functionName} (task ${taskId}) failed${status ? ` with ${status}` : ''}: ${(err as Error).message}`,
        err,
      );
    }
  }
}
