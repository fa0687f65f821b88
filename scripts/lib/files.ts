import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Every file under `dir`, as paths relative to it (forward slashes). */
export async function filesUnder(dir: string, base = ''): Promise<string[]> {
  const entries = await fs.readdir(path.join(dir, base), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => {
      const rel = base ? `${base}/${e.name}` : e.name;
      return e.isDirectory() ? filesUnder(dir, rel) : Promise.resolve([rel]);
    }),
  );
  return nested.flat();
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
