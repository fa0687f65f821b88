/**
 * The settings through which a shifted host clock reaches a process (faketime's preload and its
 * offset: `.ci/run` runs the suite a year ahead). A child started with an environment of its
 * own gets them too, so every process of a test sees the same now.
 */
export const hostClockEnv = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && (e[0] === 'LD_PRELOAD' || e[0].startsWith('FAKETIME')),
    ),
  );

/**
 * This process's environment less a shifted clock, for a tool outside the system under test that
 * libfaketime breaks (Chromium's zygote processes die under it); such a tool reads no time of its own.
 */
export function realClockEnv(): NodeJS.ProcessEnv {
  const shifted = hostClockEnv();
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in shifted)));
}
