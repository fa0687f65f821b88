/** Alibaba Cloud RPC-style API clients (SMS, CloudMonitor) through `@alicloud/pop-core`. */
import http from 'node:http';
import https from 'node:https';
import RPCClient from '@alicloud/pop-core';
import type { CredentialsProvider } from './credentials';

/**
 * How long a kept-alive connection may sit idle before we close it ourselves. Alibaba's front
 * ends drop idle connections after a few seconds; a request written onto one they have just
 * dropped fails with `socket hang up`, and for a send that is an uncertain outcome. pop-core's
 * own agent keeps idle sockets forever; ours closes them first, so a request after a pause goes
 * out on a fresh connection.
 */
const IDLE_SOCKET_MS = 2_000;

/** One client per service and instance; pop-core signs every request (HMAC-SHA1, RPC style) with the current credentials. */
export function alibabaRpcClient(
  credentials: CredentialsProvider,
  endpoint: string,
  apiVersion: string,
  idleSocketMs = IDLE_SOCKET_MS,
): RPCClient {
  const Agent = endpoint.startsWith('https://') ? https.Agent : http.Agent;
  return new RPCClient({
    endpoint,
    apiVersion,
    credentialsProvider: { getCredentials: async () => credentials() },
    opts: { agent: new Agent({ keepAlive: true, timeout: idleSocketMs }) },
  } as unknown as RPCClient.Config);
}
