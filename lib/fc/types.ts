/** Shapes of what Function Compute 3.0 hands a function (see test/fixtures/fc3/events/). */

export interface FcCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** The `context` argument FC passes to event handlers (Node.js built-in runtime). */
export interface FcContext {
  requestId: string;
  credentials?: FcCredentials;
  function: { name: string; handler?: string; memory?: number; timeout?: number };
  region?: string;
  accountId?: string;
}

/** HTTP trigger payload as FC sends it to a built-in runtime. */
export interface FcHttpEvent {
  version: 'v1';
  rawPath: string;
  body: string;
  isBase64Encoded: boolean;
  headers: Record<string, string>;
  queryParameters: Record<string, string>;
  requestContext: {
    accountId: string;
    domainName: string;
    domainPrefix: string;
    requestId: string;
    time: string;
    timeEpoch: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
  };
}

/** What a built-in runtime returns to an HTTP trigger. */
export interface FcHttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

export interface FcOssRecord {
  eventName: string;
  eventSource: 'acs:oss';
  eventTime: string;
  eventVersion: string;
  region: string;
  oss: {
    bucket: { arn: string; name: string; ownerIdentity: string; virtualBucket?: string };
    object: { key: string; size: number; deltaSize?: number; eTag: string };
    ossSchemaVersion: string;
    ruleId: string;
  };
  requestParameters: { sourceIPAddress: string };
  responseElements: { requestId: string };
  userIdentity: { principalId: string };
}

export interface FcOssEvent {
  events: FcOssRecord[];
}

export interface FcTimerEvent {
  triggerTime: string;
  triggerName: string;
  payload: string;
}

export type EventHandler = (event: Buffer, context: FcContext) => Promise<unknown>;
export type Initializer = (context: FcContext) => Promise<void>;
