/**
 * `npm start`: the whole platform on this machine, on the embedded defaults.
 * `--no-timers` leaves timer triggers unfired (benchmarks).
 */
import { ConfigError, loadConfig } from '#lib/config';
import { log } from '#lib/log';
import { LocalPlatform } from './platform';

async function main() {
  let port: number;
  try {
    port = loadConfig().port;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every setting.\n`);
      process.exit(1);
    }
    throw err;
  }
  const timers = !process.argv.includes('--no-timers');
  const platform = await LocalPlatform.start({ root: process.cwd(), port, timers });
  const status = platform.status();
  log.info('platform up', { url: platform.url, ports: status.ports });
  process.stdout.write(`\nsmart-marketing platform running at ${platform.url}\n`);
  for (const fn of status.functions) {
    process.stdout.write(`  ${fn.name.padEnd(10)} ${fn.triggers.map((t) => ('url' in t ? `${t.type} ${t.url}` : t.type)).join(', ')}\n`);
  }
  process.stdout.write(`  status     ${platform.url}/-/status\n\n`);
  const shutdown = () => void platform.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err) => {
  log.error('platform failed to start', { err });
  process.exit(1);
});
