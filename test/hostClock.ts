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
