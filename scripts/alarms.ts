/** `npm run alarms -- plan|apply [--file ops/alarms.yaml]`: CloudMonitor alarm rules from the repository (scripts/alarms/run.ts). */
import { runAlarms } from './alarms/run';

runAlarms(process.argv.slice(2), process.env, (text) => process.stdout.write(text)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`alarms: ${err.message}\n`);
    process.exit(1);
  },
);
