// The same in-extension-host suite, run by @vscode/test-electron in a desktop VS Code that it
// downloads (or the one named by VSCODE_EXECUTABLE). For machines that can reach
// update.code.visualstudio.com; CI here cannot, and runs the suite in code-server (run-e2e.sh).
// Usage: node electron.js <extension root> <compiled suite> <scratch dir from make-workspace.sh>
const { runTests } = require('@vscode/test-electron');
const { join } = require('path');

const [, , root, suite, scratch] = process.argv;

runTests({
  vscodeExecutablePath: process.env.VSCODE_EXECUTABLE || undefined,
  version: process.env.VSCODE_VERSION || 'stable',
  extensionDevelopmentPath: root,
  extensionTestsPath: suite,
  launchArgs: [
    join(scratch, 'ws'),
    '--user-data-dir', join(scratch, 'ud'),
    '--extensions-dir', join(scratch, 'ex'),
    '--disable-workspace-trust',
    '--skip-welcome',
    '--skip-release-notes',
  ],
  extensionTestsEnv: { TMPDIR: join(scratch, 'tmp') },
}).then(
  () => process.exit(0),
  (e) => {
    console.error(`test-electron: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
