/** Timer triggers on their 6-field cron expressions (UTC unless `CRON_TZ=`), fired on the platform clock with FC's payload. */
import { now } from '#lib/clock';
import type { FcTimerEvent } from '#lib/fc/types';
import type { AsyncInvoke } from './asyncInvoke';
import { parseCron, type Schedule } from '#lib/cron';
import type { LocalFunction } from './localFunction';
import type { TriggerSpec } from './project';

interface Timer {
  fn: LocalFunction;
  trigger: TriggerSpec;
  schedule: Schedule;
}

export class LocalTimers {
  private readonly timers: Timer[] = [];
  private tick?: NodeJS.Timeout;
  private lastSecond = 0;
  private stopped = false;

  constructor(
    functions: Iterable<LocalFunction>,
    private readonly invoke: AsyncInvoke,
  ) {
    for (const fn of functions) {
      for (const trigger of fn.spec.props.triggers ?? []) {
        if (trigger.triggerType !== 'timer' || trigger.triggerConfig.enable === false) continue;
        this.timers.push({ fn, trigger, schedule: parseCron(String(trigger.triggerConfig.cronExpression)) });
      }
    }
  }

  start(): void {
    this.lastSecond = Math.floor(now() / 1000);
    const loop = () => {
      if (this.stopped) return;
      const second = Math.floor(now() / 1000);
      // Catch up on seconds a busy event loop skipped (at most a minute).
      for (let s = Math.max(this.lastSecond + 1, second - 60); s <= second; s++) this.fire(s * 1000);
      this.lastSecond = second;
      this.tick = setTimeout(loop, 1000 - (now() % 1000) + 5);
      this.tick.unref();
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.tick);
  }

  private fire(ms: number) {
    for (const t of this.timers) {
      if (!t.schedule.matches(ms)) continue;
      const event: FcTimerEvent = {
        triggerTime: new Date(ms).toISOString().replace('.000Z', 'Z'),
        triggerName: t.trigger.triggerName,
        payload: String(t.trigger.triggerConfig.payload ?? ''),
      };
      void this.invoke(t.fn, event, t.trigger.triggerName);
    }
  }
}
