/**
 * What the cost model needs from s.yaml (rendered by `s preview`, scripts/local/project.ts):
 * each function's vCPU, memory, disk and GPU, its reserved instances hour by hour, and how often
 * its timers fire in each hour. Hours are Asia/Shanghai, as in the traffic profile.
 */
import { parseCron } from '#lib/cron';
import type { FunctionSpec as RenderedFunction } from '../local/project';

export const PROFILE_TIME_ZONE = 'Asia/Shanghai';
/** A day to count on: midnight 2026-11-02 in Asia/Shanghai (a Monday; a weekday-only expression counts as every day). */
const DAY_START_MS = Date.parse('2026-11-01T16:00:00Z');
const HOURS = 24;

export interface FunctionSpec {
  name: string;
  vcpu: number;
  memoryGb: number;
  diskGb: number;
  gpu?: { series: 'tesla' | 'ada'; memoryGb: number };
  /** Reserved instances in force, averaged over each hour (0 when none). */
  provisionedByHour: number[];
  /** Whether reserved instances keep their vCPU while idle (billed as active). */
  alwaysAllocateCPU: boolean;
  /** Timer invocations in each hour. */
  timerFiringsByHour: number[];
}

interface ScheduledAction {
  name: string;
  scheduleExpression: string;
  target: number;
  timeZone?: string;
}

/** The seconds of the reference day (from its midnight) at which an FC cron expression fires. */
function firingSeconds(expression: string): number[] {
  const schedule = parseCron(expression);
  const first = expression
    .replace(/^CRON_TZ=\S+\s+/, '')
    .trim()
    .split(/\s+/)[0];
  // A fixed second (the usual case) needs one look a minute; anything else one a second.
  const fixed = /^\d+$/.test(first) ? Number(first) : undefined;
  const seconds: number[] = [];
  for (let s = fixed ?? 0; s < 86_400; s += fixed === undefined ? 1 : 60) if (schedule.matches(DAY_START_MS + s * 1000)) seconds.push(s);
  return seconds;
}

/** How often an FC cron expression fires in each hour of the day. */
export function firingsByHour(expression: string): number[] {
  const counts = new Array<number>(HOURS).fill(0);
  for (const s of firingSeconds(expression)) counts[Math.floor(s / 3600)]++;
  return counts;
}

/** The provision target in force each minute of the day (the last action at or before it, wrapping), averaged per hour. */
export function provisionedByHour(defaultTarget: number, actions: ScheduledAction[]): number[] {
  const changes = actions
    .flatMap((a) => {
      const inner = /^cron\((.*)\)$/.exec(a.scheduleExpression.trim())?.[1];
      if (!inner) throw new Error(`scheduled action ${a.name}: "${a.scheduleExpression}" is not cron(...)`);
      return firingSeconds(`CRON_TZ=${a.timeZone ?? 'UTC'} ${inner}`).map((s) => ({ minute: Math.floor(s / 60), target: a.target }));
    })
    .sort((x, y) => x.minute - y.minute);
  const byHour = new Array<number>(HOURS).fill(0);
  for (let minute = 0; minute < HOURS * 60; minute++) {
    const last = changes.filter((c) => c.minute <= minute).at(-1) ?? changes.at(-1);
    byHour[Math.floor(minute / 60)] += last ? last.target : defaultTarget;
  }
  return byHour.map((targetMinutes) => targetMinutes / 60);
}

const GPU_SERIES: Record<string, 'tesla' | 'ada'> = { 'fc.gpu.tesla.1': 'tesla', 'fc.gpu.ampere.1': 'tesla', 'fc.gpu.ada.1': 'ada' };

/** The cost model's view of one rendered s.yaml function (FC's defaults for what it leaves out: 512 MB, 0.35 vCPU, 512 MB disk). */
export function functionSpecOf(f: RenderedFunction): FunctionSpec {
  const p = f.props as RenderedFunction['props'] & {
    cpu?: number;
    diskSize?: number;
    gpuConfig?: { gpuType: string; gpuMemorySize: number };
    provisionConfig?: { defaultTarget?: number; target?: number; alwaysAllocateCPU?: boolean; scheduledActions?: ScheduledAction[] };
  };
  const name = p.functionName;
  let gpu: FunctionSpec['gpu'];
  if (p.gpuConfig) {
    const series = GPU_SERIES[p.gpuConfig.gpuType];
    if (!series)
      throw new Error(`${name}: GPU type ${p.gpuConfig.gpuType} has no price series (known: ${Object.keys(GPU_SERIES).join(', ')})`);
    gpu = { series, memoryGb: p.gpuConfig.gpuMemorySize / 1024 };
  }
  const provision = p.provisionConfig;
  const timers = (p.triggers ?? []).filter((t) => t.triggerType === 'timer' && (t.triggerConfig as { enable?: boolean }).enable !== false);
  const timerFiringsByHour = new Array<number>(HOURS).fill(0);
  for (const t of timers) {
    firingsByHour(String((t.triggerConfig as { cronExpression: string }).cronExpression)).forEach((n, h) => (timerFiringsByHour[h] += n));
  }
  return {
    name,
    vcpu: p.cpu ?? 0.35,
    memoryGb: (p.memorySize ?? 512) / 1024,
    diskGb: (p.diskSize ?? 512) / 1024,
    ...(gpu ? { gpu } : {}),
    provisionedByHour: provision
      ? provisionedByHour(provision.defaultTarget ?? provision.target ?? 0, provision.scheduledActions ?? [])
      : new Array<number>(HOURS).fill(0),
    alwaysAllocateCPU: provision?.alwaysAllocateCPU ?? true,
    timerFiringsByHour,
  };
}
