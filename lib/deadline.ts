/** Bounds how long a caller waits on a dependency; the work itself is not cancelled. */
export class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

export const within = <T>(p: Promise<T>, ms: number): Promise<T> =>
  new Promise((resolve, reject) => {
    if (ms <= 0) return reject(new DeadlineExceeded(ms));
    const timer = setTimeout(() => reject(new DeadlineExceeded(ms)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
