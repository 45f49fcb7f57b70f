// Bundles the daemon, the CLI, the demo and the extension with esbuild. Native modules stay external:
// better-sqlite3 is loaded from node_modules at run time, vscode is provided by the editor.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  external: ['better-sqlite3', 'vscode'],
  // docker-modem loads ssh2 (native code) as it starts, for an ssh:// support we replace with the user's
  // own ssh (sshDial.ts): a stub stands in, so the bundle needs nothing the .vsix does not carry.
  alias: { ssh2: './daemon/executors/container/ssh2Stub.ts' },
  loader: { '.sql': 'text' },
  logLevel: 'warning',
  legalComments: 'none',
};

// The CLI is a client of the protocol; `daemon start --foreground` loads dist/daemon.js at run time. Lint
// keeps the CLI's own imports to that (eslint.config.mjs); this catches one that arrives through a shared file.
const NOT_IN_CLI = new RegExp(
  [
    '^daemon/(queue|store|executors|runtimeApi|rpc|logs|scheduler|workflows)/',
    '^daemon/daemon\\.ts$',
    '(^|/)node_modules/(dockerode|docker-modem|jose|zod)/',
  ].join('|'),
);

const started = Date.now();
const [, cli] = await Promise.all([
  build({ ...common, entryPoints: { daemon: 'daemon/main.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { cli: 'daemon/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' }, metafile: true }),
  build({ ...common, entryPoints: { demo: 'daemon/cli/demo.ts' }, outdir: 'dist' }),
  // The Docker client is a bundle of its own, loaded by the daemon on the first container job.
  build({ ...common, entryPoints: { containerExecutor: 'daemon/executors/container/containerExecutor.ts' }, outdir: 'dist' }),
  // ssh2 likewise, loaded on the first SSH job (daemon.ts loadSshBundle); the real package, not the stub.
  // Its optional native parts (cpu-features, sshcrypto.node) are not built: ssh2 falls back to Node's crypto.
  build({ ...common, alias: {}, external: [...common.external, 'cpu-features'], entryPoints: { sshExecutor: 'daemon/executors/ssh/sshExecutor.ts' }, outdir: 'dist' }),
  // nodemailer likewise, loaded on the first email (events/notifiers.ts).
  build({ ...common, entryPoints: { mailer: 'daemon/events/mailerBundle.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { extension: 'extension/extension.ts' }, outdir: 'dist', minify: true }),
]);
chmodSync('dist/cli.js', 0o755);
const leaked = new Set(
  Object.keys(cli.metafile.inputs)
    .filter((input) => NOT_IN_CLI.test(input))
    .map((input) => input.match(NOT_IN_CLI)[0]),
);
if (leaked.size > 0) {
  console.error(`dist/cli.js carries the daemon's own code, which belongs in dist/daemon.js: ${[...leaked].join(', ')}`);
  process.exit(1);
}
console.log(`built dist/ in ${Date.now() - started} ms`);
