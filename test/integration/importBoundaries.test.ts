import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/daemonProcess';

/** Runs `npm run lint` (eslint on the whole tree, as CI does) and returns its exit code and output. */
function npmRunLint(): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '-s', 'lint'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

// Each scratch file breaks one boundary of DESIGN.md §2, from inside the real tree (the rule applies by path).
const name = `__boundaryScratch${process.pid}.ts`;
const WRONG: { file: string; source: string; target: string }[] = [
  { file: `daemon/protocol/${name}`, source: "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", target: 'node:fs' },
  { file: `daemon/rpc/${name}`, source: "import Database from 'better-sqlite3';\nexport const x = Database;\n", target: 'better-sqlite3' },
  { file: `daemon/queue/${name}`, source: "import Docker from 'dockerode';\nexport const x = Docker;\n", target: 'dockerode' },
  { file: `daemon/store/${name}`, source: "import { JobQueue } from '../queue/jobQueue';\nexport const x = JobQueue;\n", target: 'daemon/queue/jobQueue' },
  { file: `daemon/workflows/${name}`, source: "import { RpcServer } from '../rpc/server';\nexport const x = RpcServer;\n", target: 'daemon/rpc/server' },
  { file: `daemon/executors/${name}`, source: "import { RpcServer } from '../rpc/server';\nexport const x = RpcServer;\n", target: 'daemon/rpc/server' },
  { file: `daemon/cli/${name}`, source: "import { JobStore } from '../store/jobStore';\nexport const x = JobStore;\n", target: 'daemon/store/jobStore' },
  { file: `daemon/${name}`, source: "import * as vscode from 'vscode';\nexport const x = vscode;\n", target: 'vscode' },
  // From extension/, `../daemon/…` is the daemon's folder (from extension/jobs/ it would be extension/daemon/).
  { file: `extension/${name}`, source: "import { LogStore } from '../daemon/store/logStore';\nexport const x = LogStore;\n", target: 'daemon/store/logStore' },
];
// Allowed: extension/jobs/ importing the extension's own extension/daemon/, and the protocol.
const RIGHT = {
  file: `extension/jobs/${name}`,
  source: "import { DaemonConnection } from '../daemon/daemonConnection';\nimport type { JobDto } from '../../daemon/protocol/dto';\nexport const x: [unknown, JobDto?] = [DaemonConnection];\n",
};

describe('the layer boundaries of DESIGN.md, enforced by npm run lint', function () {
  this.timeout(180_000);

  it('fails on a scratch file per broken boundary, naming the file, the import and the rule', async function () {
    let result: { code: number; output: string };
    try {
      for (const { file, source } of [...WRONG, RIGHT]) writeFileSync(join(ROOT, file), source);
      result = await npmRunLint();
    } finally {
      for (const { file } of [...WRONG, RIGHT]) rmSync(join(ROOT, file), { force: true });
    }

    assert.notEqual(result.code, 0, result.output);
    for (const { file, target } of WRONG) {
      assert.match(result.output, new RegExp(`${file} may not import '${target}': .*cronium/import-boundaries`), `${file}:\n${result.output}`);
    }
    assert.doesNotMatch(result.output, new RegExp(RIGHT.file), 'the allowed imports pass');
  });
});
