/**
 * One instance per process, even across separately bundled functions. On FC each function
 * runs alone, so this is plain module scope; in the local runtime every function's bundle
 * runs in one process and must see the same in-process stores (the embedded defaults).
 */
const registry = ((globalThis as Record<symbol, unknown>)[Symbol.for('mkt.shared')] ??= new Map()) as Map<string, unknown>;

export function processShared<T>(key: string, create: () => T): T {
  if (!registry.has(key)) registry.set(key, create());
  return registry.get(key) as T;
}
