/** Counts `by` more (one by default) of `key`; a count that comes back to zero is dropped. */
export function increment(counts: Record<string, number>, key: string, by = 1): number {
  const n = (counts[key] ?? 0) + by;
  if (n === 0) delete counts[key];
  else counts[key] = n;
  return n;
}
