/** Bounds how long a caller waits on a dependency; the work itself is not cancelled. */
export class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(ms > 0 ? `no answer within ${Math.round(ms * 10) / 10} ms` : 'no time left in the budget to ask');
    this.name = 'DeadlineExceeded';
  }
}

/**
 * `p`, or a DeadlineExceeded after `ms`. The expiry waits one turn of the event loop past the
 * timer, since a busy loop runs due timers before reading sockets: an answer already received
 * in time is not thrown away for the loop's own lateness.
 */
export const within = <T>(p: Promise<T>, ms: number): Promise<T> =>
  new Promise((resolve, reject) => {
    if (ms <= 0) return reject(new DeadlineExceeded(ms));
    const timer = setTimeout(() => setImmediate(() => reject(new DeadlineExceeded(ms))), ms);
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
