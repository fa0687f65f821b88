/** Contact-cap periods in Asia/Shanghai: the day, and the week from Monday. */
import { SHANGHAI_OFFSET_MS } from '#lib/clock';

const DAY_MS = 86_400_000;

export const dayOf = (ms: number) => Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS);
/** 1970-01-01 was a Thursday: three days on, weeks start on Monday. */
export const weekOf = (ms: number) => Math.floor((dayOf(ms) + 3) / 7);

/** The budget arithmetic both ledgers share: how many of `costEach`, in order, fit after what was used. */
export function affordable(
  used: { messages: number; milliYuan: number },
  costEach: number[],
  limits: { messages?: number; milliYuan?: number },
): number {
  let { messages, milliYuan } = used;
  let granted = 0;
  for (const cost of costEach) {
    if (
      (limits.messages !== undefined && messages + 1 > limits.messages) ||
      (limits.milliYuan !== undefined && milliYuan + cost > limits.milliYuan)
    )
      break;
    messages++;
    milliYuan += cost;
    granted++;
  }
  return granted;
}
