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

const started = Date.now();
await Promise.all([
  build({ ...common, entryPoints: { daemon: 'daemon/main.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { cli: 'daemon/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...common, entryPoints: { demo: 'daemon/cli/demo.ts' }, outdir: 'dist' }),
  // The Docker client is a bundle of its own, loaded by the daemon on the first container job.
  build({ ...common, entryPoints: { containerExecutor: 'daemon/executors/container/containerExecutor.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { extension: 'extension/extension.ts' }, outdir: 'dist', minify: true }),
]);
chmodSync('dist/cli.js', 0o755);
console.log(`built dist/ in ${Date.now() - started} ms`);
