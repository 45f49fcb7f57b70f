// Loaded by the extension host when the workbench is opened with extensionTestsPath=<this folder>
// (see run-ext-tests.js). Same run() contract as @vscode/test-electron's --extensionTestsPath.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

// console.log cannot be reassigned in the extension host; tag test output so the driver can keep only it.
const out = (...a: unknown[]): void => console.log('[test] ' + format(...a));

export async function run(): Promise<void> {
  (Mocha.reporters.Base as unknown as { consoleLog: typeof out }).consoleLog = out;
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 40_000, reporter: 'spec' });
  for (const f of readdirSync(__dirname)) if (f.endsWith('.e2e.js')) mocha.addFile(resolve(__dirname, f));
  const failures = await new Promise<number>((r) => mocha.run(r));
  out(`${mocha.suite.total() - failures} passed, ${failures} failed`);
  if (failures > 0) throw new Error(`${failures} tests failed.`);
}
