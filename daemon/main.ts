import { parseArgs } from 'node:util';
import { coerceError } from './errors';
import { startDaemon } from './daemon';
import { resolveHome } from './client/homeLayout';

// `cronium daemon start --foreground` loads this bundle into the CLI's process and calls it.
export { startDaemon };

const USAGE = 'usage: node dist/daemon.js [--home DIR] [--foreground] [--debug]';

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        home: { type: 'string' },
        foreground: { type: 'boolean', default: false },
        debug: { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    process.stderr.write(`${coerceError(e).message}\n${USAGE}\n`);
    process.exit(2);
  }
  startDaemon({
    home: resolveHome(values.home),
    echoLog: values.foreground ?? false,
    debug: values.debug ?? process.env.CRONIUM_DEBUG === '1',
  }).then(
    (started) => {
      if (!started) process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`cronium daemon: ${coerceError(e).message}\n`);
      process.exit(1);
    },
  );
}

// Run as `node dist/daemon.js`, not loaded by the CLI.
if (require.main === module) main();
