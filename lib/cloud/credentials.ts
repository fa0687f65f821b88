/**
 * The function role's Alibaba Cloud credentials. On FC they are STS credentials that expire
 * (36 h) while a provisioned instance can live longer, so FC hands over the current ones with
 * every invocation (`context.credentials`; the `x-fc-access-key-*` headers of custom runtimes).
 * The FC glue passes them here, and every cloud client signs with the latest.
 */
import { ConfigError, type Config } from '#lib/config';
import { processShared } from '#lib/processShared';

export interface AlibabaCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** The credentials to sign the next request with. */
export type CredentialsProvider = () => AlibabaCredentials;

const complete = (c: Partial<AlibabaCredentials> | undefined): c is AlibabaCredentials => Boolean(c?.accessKeyId && c.accessKeySecret);

export class CredentialSource {
  private latest?: AlibabaCredentials;

  constructor(initial?: Partial<AlibabaCredentials>) {
    if (complete(initial))
      this.latest = { accessKeyId: initial.accessKeyId, accessKeySecret: initial.accessKeySecret, securityToken: initial.securityToken };
  }

  /** Takes what FC passed with an invocation; an invocation without credentials changes nothing. */
  update(c: AlibabaCredentials | undefined): void {
    if (complete(c) && (c.accessKeyId !== this.latest?.accessKeyId || c.securityToken !== this.latest?.securityToken)) this.latest = c;
  }

  readonly current: CredentialsProvider = () => {
    if (!this.latest) {
      throw new ConfigError([
        'ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are required ' +
          'for OSS, Alibaba SMS or CloudMonitor (FC sets them from the function role)',
      ]);
    }
    return this.latest;
  };
}

/** The process's credentials: the environment's at start, then whatever FC passes with each invocation. */
export const fcCredentials = (c: Config): CredentialSource =>
  processShared(
    'credentials',
    () => new CredentialSource({ accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken }),
  );

/** The current credentials' provider for a cloud adapter; throws at once when there are none, so the function fails at start. */
export function requiredCredentials(c: Config): CredentialsProvider {
  const source = fcCredentials(c);
  source.current();
  return source.current;
}

/** A client that is rebuilt when the credentials rotate, for SDKs that keep the keys they were built with. */
export function rebuiltOnRotation<T>(credentials: CredentialsProvider, build: (c: AlibabaCredentials) => T): () => T {
  let built: { for: AlibabaCredentials; client: T } | undefined;
  return () => {
    const c = credentials();
    if (built?.for !== c) built = { for: c, client: build(c) };
    return built.client;
  };
}
