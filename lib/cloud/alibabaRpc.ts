/** Alibaba Cloud RPC-style API clients (SMS, CloudMonitor) through `@alicloud/pop-core`. */
import RPCClient from '@alicloud/pop-core';
import type { CredentialsProvider } from './credentials';

/** One client per service and instance; pop-core signs every request (HMAC-SHA1, RPC style) with the current credentials. */
export function alibabaRpcClient(credentials: CredentialsProvider, endpoint: string, apiVersion: string): RPCClient {
  return new RPCClient({
    endpoint,
    apiVersion,
    credentialsProvider: { getCredentials: async () => credentials() },
  } as unknown as RPCClient.Config);
}
