/**
 * The async invoker the configuration names: FC3's API at MKT_FC_ENDPOINT, or on FC at the
 * account's own endpoint; none elsewhere (a run then takes its whole audience in one invocation).
 */
import { fcCredentials, type CredentialsProvider } from '#lib/cloud/credentials';
import type { Config } from '#lib/config';
import { FcApiInvoker } from './fcApi';
import type { AsyncInvoker } from './port';

export { MAX_ASYNC_PAYLOAD_BYTES, taskIdOf, type AsyncInvoker, type Submitted } from './port';

/** The key the local runtime's FC API takes when the environment has no Alibaba Cloud credentials. */
export const LOCAL_RUNTIME_KEY = { accessKeyId: 'local-runtime', accessKeySecret: 'local-runtime-secret' };

const isLoopback = (u: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);

export function asyncInvokerFrom(c: Config): AsyncInvoker | undefined {
  const endpoint = c.fcEndpoint ?? (c.fcAccountId && c.fcRegion ? `https://${c.fcAccountId}.${c.fcRegion}.fc.aliyuncs.com` : undefined);
  if (!endpoint) return undefined;
  const url = new URL(endpoint);
  const source = fcCredentials(c);
  const credentials: CredentialsProvider = () => {
    try {
      return source.current();
    } catch (err) {
      if (isLoopback(url)) return LOCAL_RUNTIME_KEY;
      throw err;
    }
  };
  return new FcApiInvoker({ endpoint: url, credentials });
}
