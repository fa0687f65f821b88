/**
 * Reserved instances for `recommend` ahead of campaign peaks: every campaign timer in s.yaml
 * gets a scheduled action that raises the target `lead` minutes before it fires and one that
 * settles it `hold` minutes after, back to whatever s.yaml's own schedule has in force then.
 * The result is the whole provision config (FC replaces it as one document).
 */
import { CAMPAIGN_TIME_ZONE, type CampaignDefinition } from '../../functions/campaign/definitions/definition';

export interface ScheduledAction {
  name: string;
  startTime: string;
  endTime: string;
  scheduleExpression: string;
  target: number;
  timeZone: string;
}

export interface ProvisionConfig {
  defaultTarget: number;
  alwaysAllocateCPU?: boolean;
  alwaysAllocateGPU?: boolean;
  scheduledActions?: ScheduledAction[];
  targetTrackingPolicies?: Record<string, unknown>[];
}

export interface PeakOptions {
  leadMinutes: number;
  holdMinutes: number;
  peakTarget: number;
}

export interface CampaignTimer {
  name: string;
  cronExpression: string;
}

const DAY_MIN = 24 * 60;

/** The times of day campaigns start: each active definition whose schedule is a daily fixed time (others are left to hand-set targets). */
export function campaignTimes(definitions: CampaignDefinition[]): CampaignTimer[] {
  return definitions.flatMap((d) => {
    if (d.schedule.kind !== 'cron') return [];
    const cronExpression = `CRON_TZ=${CAMPAIGN_TIME_ZONE} ${d.schedule.cron}`;
    try {
      timeOfDay(cronExpression, 'UTC', d.id);
      return [{ name: d.id, cronExpression }];
    } catch {
      return [];
    }
  });
}

/** Minute of the day and zone of a daily fixed-time expression: `CRON_TZ=Z s m h * * *` or `cron(s m h * * *)`. */
function timeOfDay(expression: string, defaultZone: string, what: string): { minute: number; timeZone: string } {
  const tz = /^CRON_TZ=(\S+)\s+(.*)$/.exec(expression.trim());
  const fields = (tz ? tz[2] : expression.trim())
    .replace(/^cron\((.*)\)$/, '$1')
    .trim()
    .split(/\s+/);
  const [, m, h, ...rest] = fields;
  if (fields.length !== 6 || !/^\d+$/.test(m) || !/^\d+$/.test(h) || rest.some((f) => f !== '*' && f !== '?')) {
    throw new Error(`${what}: "${expression}" is not a daily fixed time (s m h * * *); set its provisioned targets by hand`);
  }
  return { minute: Number(h) * 60 + Number(m), timeZone: tz?.[1] ?? defaultZone };
}

const cronAt = (minute: number) => {
  const m = ((minute % DAY_MIN) + DAY_MIN) % DAY_MIN;
  return `cron(0 ${m % 60} ${Math.floor(m / 60)} * * *)`;
};

/** The target s.yaml's own schedule has in force at a minute of the day (the last action at or before it, wrapping). */
function baseTargetAt(minute: number, base: ProvisionConfig, timeZone: string): number {
  const actions = (base.scheduledActions ?? [])
    .map((a) => ({ ...timeOfDay(a.scheduleExpression, a.timeZone, `scheduled action ${a.name}`), target: a.target }))
    .filter((a) => a.timeZone === timeZone)
    .sort((a, b) => a.minute - b.minute);
  if (actions.length === 0) return base.defaultTarget;
  return (actions.filter((a) => a.minute <= minute).at(-1) ?? actions.at(-1)!).target;
}

const PEAK_PREFIX = 'campaign-';

export function peakPlan(config: ProvisionConfig, timers: CampaignTimer[], o: PeakOptions, now = new Date()): ProvisionConfig {
  // Actions of an earlier run are replaced, and never read as the schedule to return to.
  const base = { ...config, scheduledActions: (config.scheduledActions ?? []).filter((a) => !a.name.startsWith(PEAK_PREFIX)) };
  const window = {
    startTime: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    endTime: new Date(now.getTime() + 365 * 24 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  const peaks = timers.flatMap((t) => {
    const { minute, timeZone } = timeOfDay(t.cronExpression, 'UTC', `campaign trigger ${t.name}`);
    const warmAt = minute - o.leadMinutes;
    const settleAt = minute + o.holdMinutes;
    return [
      {
        name: `${PEAK_PREFIX}${t.name}-warm`,
        ...window,
        scheduleExpression: cronAt(warmAt),
        target: Math.max(o.peakTarget, baseTargetAt(warmAt, base, timeZone)),
        timeZone,
      },
      {
        name: `${PEAK_PREFIX}${t.name}-settle`,
        ...window,
        scheduleExpression: cronAt(settleAt),
        target: baseTargetAt(settleAt % DAY_MIN, base, timeZone),
        timeZone,
      },
    ];
  });
  return { ...base, scheduledActions: [...base.scheduledActions, ...peaks] };
}
