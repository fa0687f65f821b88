/** `GET /-/status`: functions, triggers, the adapter behind each port, and recent invocations. */
import { now } from '#lib/clock';
import { config } from '#lib/config';
import { featureStoreFrom } from '#lib/featureStore';
import { metricsSinkFrom } from '#lib/metrics';
import { objectStoreFrom } from '#lib/objectStore';
import { smsSenderFrom } from '#lib/sms';
import type { LocalFunction } from './localFunction';
import { bucketOf } from './ossTriggers';

export function platformStatus(projectName: string, url: string, functions: Iterable<LocalFunction>) {
  const c = config();
  return {
    project: projectName,
    url,
    clock: new Date(now()).toISOString(),
    ports: {
      objectStore: objectStoreFrom(c).describe,
      featureStore: featureStoreFrom(c).describe,
      sms: smsSenderFrom(c).describe,
      metrics: metricsSinkFrom(c).describe,
    },
    functions: [...functions].map((fn) => ({
      name: fn.name,
      runtime: fn.spec.props.runtime,
      entry: fn.http ? 'http-server (CAPort)' : `handler ${fn.spec.props.handler}`,
      triggers: (fn.spec.props.triggers ?? []).map((t) => ({
        name: t.triggerName,
        type: t.triggerType,
        ...(t.triggerType === 'http' ? { url: `${url}/${fn.name}/`, methods: t.triggerConfig.methods } : {}),
        ...(t.triggerType === 'timer' ? { cron: t.triggerConfig.cronExpression, enabled: t.triggerConfig.enable !== false } : {}),
        ...(t.triggerType === 'oss' ? { bucket: bucketOf(t), events: t.triggerConfig.events, filter: t.triggerConfig.filter } : {}),
      })),
      recent: fn.recent,
    })),
  };
}
