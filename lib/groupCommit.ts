/**
 * Group commit: calls made in the same event-loop turn are merged into one call to the
 * underlying operation, and each caller gets its own slice of the result. Under load this
 * turns many small Redis round trips into a few large ones, while every caller still waits
 * for its own write (no background flush that a frozen FC instance could strand).
 */
export function groupCommit<T, R>(run: (items: T[]) => Promise<R[]>): (items: T[]) => Promise<R[]> {
  let queue: { items: T[]; resolve: (r: R[]) => void; reject: (e: unknown) => void }[] = [];
  const flush = async () => {
    const group = queue;
    queue = [];
    try {
      const results = await run(group.flatMap((g) => g.items));
      let at = 0;
      for (const g of group) {
        g.resolve(results.slice(at, at + g.items.length));
        at += g.items.length;
      }
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  };
  return (items) =>
    new Promise<R[]>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ items, resolve, reject });
    });
}
