import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Builds the function bundles once: deploy tests check them and integration tests run them. */
export default function globalSetup(): void {
  const root = path.resolve(__dirname, '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/build.ts', '--no-layer'], {
    cwd: root,
    stdio: 'pipe',
  });
}
