import { badRequest } from '#lib/errors';
import type { Invocation } from '#lib/fc/decode';
import type { Logger } from '#lib/log';

export interface ScheduleRun {
  schedule: string;
  /** FC's trigger time: with the schedule, the idempotency key of this run. */
  runId: string;
  triggerTime: string;
}

/** Reads which schedule a timer (or a direct invocation) asks for. */
export function scheduleRunOf(invocation: Invocation): ScheduleRun {
  if (invocation.kind === 'timer') {
    const { payload, triggerTime, triggerName } = invocation.tick;
    let schedule = triggerName;
    if (payload.trim().startsWith('{')) {
      try {
        schedule = String((JSON.parse(payload) as { schedule?: unknown }).schedule ?? triggerName);
      } catch {
        throw badRequest('bad_payload', `timer payload of ${triggerName} is not JSON`);
      }
    }
    return { schedule, triggerTime, runId: `${schedule}@${triggerTime}` };
  }
  if (invocation.kind === 'direct' && typeof invocation.payload === 'object' && invocation.payload) {
    const { schedule, runId } = invocation.payload as { schedule?: unknown; runId?: unknown };
    if (typeof schedule === 'string' && typeof runId === 'string') return { schedule, runId, triggerTime: new Date().toISOString() };
  }
  throw badRequest('bad_event', `campaign runs on timer events or {"schedule","runId"}, not ${invocation.kind} events`);
}

export async function runSchedule(invocation: Invocation, _context: unknown, logger: Logger): Promise<ScheduleRun> {
  const run = scheduleRunOf(invocation);
  logger.info('campaign schedule fired', { ...run });
  return run;
}
