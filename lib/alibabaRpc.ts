/** Alibaba Cloud RPC-style API clients (SMS, CloudMonitor) through `@alicloud/pop-core`. */
import RPCClient from '@alicloud/pop-core';

export interface AlibabaCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** One client per service and instance; pop-core signs every request (HMAC-SHA1, RPC style). */
export function alibabaRpcClient(credentials: AlibabaCredentials, endpoint: string, apiVersion: string): RPCClient {
  const { accessKeyId, accessKeySecret, securityToken } = credentials;
  return new RPCClient({ accessKeyId, accessKeySecret, securityToken, endpoint, apiVersion } as RPCClient.Config);
}
