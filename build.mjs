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
const results = await Promise.all([
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
  // The workflow builder runs in the browser of a webview, loaded only when a builder opens.
  build({
    entryPoints: { builder: 'webviews/builder/main.tsx' },
    outdir: 'dist/webviews',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    minify: true,
    sourcemap: 'linked',
    jsx: 'automatic',
    loader: { '.ttf': 'file' },
    define: { 'process.env.NODE_ENV': '"production"' },
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  }),
]);
// By their entry point, not their place in the list: bundles come and go.
const built = (entry) => results.find((r) => r.metafile && Object.values(r.metafile.outputs).some((o) => o.entryPoint === entry));
const cli = built('daemon/cli/main.ts');
const builder = built('webviews/builder/main.tsx');
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
// issue 10: the webview bundle stays under 1.5 MB minified (script, styles and the icon font together).
const BUILDER_MAX_BYTES = 1.5 * 1024 * 1024;
const builderBytes = Object.entries(builder.metafile.outputs)
  .filter(([file]) => !file.endsWith('.map'))
  .reduce((sum, [, output]) => sum + output.bytes, 0);
if (builderBytes > BUILDER_MAX_BYTES) {
  console.error(`dist/webviews is ${builderBytes} bytes, over the builder's budget of ${BUILDER_MAX_BYTES}`);
  process.exit(1);
}
console.log(`built dist/ in ${Date.now() - started} ms (builder webview ${(builderBytes / 1024).toFixed(0)} KiB)`);
