/** OSS triggers: which writes to the local object store fire which functions, with FC's OSS event payload. */
import { randomUUID } from 'node:crypto';
import { now } from '#lib/clock';
import type { FcOssEvent } from '#lib/fc/types';
import type { LocalObjectEvent } from '#lib/objectStore/localStore';
import type { AsyncInvoke } from './asyncInvoke';
import type { LocalFunction } from './localFunction';
import type { TriggerSpec } from './project';

/** The bucket an OSS trigger's `sourceArn` names. */
export const bucketOf = (t: TriggerSpec) => (t.sourceArn ?? '').split(':').pop() ?? '';

/** FC's OSS trigger rule: bucket, event type (with `*`), and key prefix and suffix. */
export function ossTriggerMatches(t: TriggerSpec, e: LocalObjectEvent): boolean {
  const cfg = t.triggerConfig as { events?: string[]; filter?: { key?: { prefix?: string; suffix?: string } } };
  const { prefix = '', suffix = '' } = cfg.filter?.key ?? {};
  const eventMatches = (cfg.events ?? []).some((pattern) => {
    const p = pattern.replace(/^oss:/, '');
    return p.endsWith(':*') ? e.eventName.startsWith(p.slice(0, -1)) : p === e.eventName;
  });
  return bucketOf(t) === e.bucket && eventMatches && e.key.startsWith(prefix) && e.key.endsWith(suffix);
}

/** The event FC sends a function for one object written. */
function ossEvent(e: LocalObjectEvent, fn: LocalFunction): FcOssEvent {
  const region = fn.spec.props.region ?? 'cn-hangzhou';
  return {
    events: [
      {
        eventName: e.eventName,
        eventSource: 'acs:oss',
        eventTime: new Date(now()).toISOString(),
        eventVersion: '1.0',
        region,
        oss: {
          bucket: { arn: `acs:oss:${region}:local:${e.bucket}`, name: e.bucket, ownerIdentity: 'local', virtualBucket: '' },
          object: { key: encodeURIComponent(e.key).replace(/%2F/g, '/'), size: e.size, deltaSize: e.size, eTag: e.eTag },
          ossSchemaVersion: '1.0',
          ruleId: 'local',
        },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { requestId: randomUUID().replace(/-/g, '').slice(0, 24).toUpperCase() },
        userIdentity: { principalId: 'local' },
      },
    ],
  };
}

/** Invokes, asynchronously, every function whose OSS trigger matches the write. */
export function fireOssTriggers(functions: Iterable<LocalFunction>, e: LocalObjectEvent, invoke: AsyncInvoke): void {
  for (const fn of functions) {
    for (const trigger of fn.spec.props.triggers ?? []) {
      if (trigger.triggerType === 'oss' && ossTriggerMatches(trigger, e)) void invoke(fn, ossEvent(e, fn), trigger.triggerName);
    }
  }
}
