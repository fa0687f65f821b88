/** Counts one more `key`. */
export const increment = (counts: Record<string, number>, key: string): number => (counts[key] = (counts[key] ?? 0) + 1);
