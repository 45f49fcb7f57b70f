// Runs inside the VS Code extension host (code-server), against the real daemon bundle in dist/.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { DaemonStartError, DaemonUnresponsiveError } from '../../../daemon/client/errors';
import { startDetached } from '../../../daemon/client/launcher';
import { DaemonConnection, type DaemonState } from '../../../extension/daemon/daemonConnection';
import { NodeNotFoundError } from '../../../extension/daemon/findNode';
import type { CroniumApi } from '../../../extension/extension';

const EXTENSION_ID = 'cronium.cronium-vscode';

function tempHome(): string {
  // Short on purpose: the daemon's unix socket path must fit in 108 bytes.
  return mkdtempSync(join(tmpdir(), 'crx-'));
}

/** A stand-in for `node` that passes the version check, then runs `body` instead of the daemon. */
function fakeNode(dir: string, body: string): string {
  const file = join(dir, 'fake-node.sh');
  writeFileSync(file, `#!/bin/sh\nif [ "$1" = "-v" ]; then echo v20.0.0; exit 0; fi\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

function waitForState(conn: DaemonConnection, wanted: (s: DaemonState) => boolean, ms: number): Promise<DaemonState> {
  if (wanted(conn.state)) return Promise.resolve(conn.state);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`state still ${conn.state} after ${ms} ms`)), ms);
    const sub = conn.onDidChangeState((s) => {
      if (!wanted(s)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(s);
    });
  });
}

describe('Cronium extension in a real VS Code', function () {
  let api: CroniumApi;
  let daemonScript: string;

  before(async function () {
    const ext = vscode.extensions.getExtension<CroniumApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    api = await ext.activate();
    daemonScript = join(ext.extensionPath, 'dist', 'daemon.js');
  });

  it('activates within 50 ms by its own timing', function () {
    console.log(`[test] activation took ${api.activationMs.toFixed(2)} ms`);
    assert.ok(api.activationMs <= 50, `activation took ${api.activationMs} ms`);
  });

  it('registers every command at activation', async function () {
    const all = await vscode.commands.getCommands(true);
    for (const id of ['cronium.daemon.start', 'cronium.daemon.stop', 'cronium.daemon.restart', 'cronium.daemon.showLog',
      'cronium.jobs.runCurrentScript', 'cronium.jobs.runCurrentScriptOn', 'cronium.jobs.cancel', 'cronium.variables.set']) {
      assert.ok(all.includes(id), id);
    }
  });

  it('shows a job run from an unsaved buffer in the Jobs view within 100 ms', async function () {
    await vscode.commands.executeCommand('cronium.daemon.start');
    const doc = await vscode.workspace.openTextDocument({ language: 'python', content: 'print("from an unsaved buffer")\n' });
    await vscode.window.showTextDocument(doc);
    const started = performance.now();
    const shown = new Promise<number>((resolve) => {
      const sub = api.jobs.onDidChangeJob((job) => {
        if (job.name !== doc.uri.path) return;
        sub.dispose();
        resolve(performance.now() - started);
      });
    });
    const id = await vscode.commands.executeCommand<string>('cronium.jobs.runCurrentScript');
    const elapsed = await shown;
    console.log(`[test] job ${id} in the Jobs view after ${elapsed.toFixed(1)} ms`);
    assert.ok(api.jobs.getChildren().some((item) => item.job.id === id), 'job is a row of the Jobs view');
    assert.ok(elapsed <= 100, `job appeared after ${elapsed} ms`);
  });

  it('refuses a Node.js older than 20 with a message that names it', async function () {
    const home = tempHome();
    const old = join(home, 'old-node.sh');
    writeFileSync(old, '#!/bin/sh\necho v18.19.0\n');
    chmodSync(old, 0o755);
    const conn = new DaemonConnection({ home: () => home, nodePath: () => old, daemonScript });
    try {
      await assert.rejects(conn.start(), (e: unknown) => NodeNotFoundError.is(e) && /v18\.19\.0; Cronium needs 20/.test(e.message));
      assert.equal(conn.state, 'stopped');
    } finally {
      conn.dispose();
    }
  });

  it('reports the words of a daemon that crashes on start', async function () {
    const home = tempHome();
    const node = fakeNode(home, 'echo "cannot open database: disk I/O error" >&2; exit 7');
    const conn = new DaemonConnection({ home: () => home, nodePath: () => node, daemonScript });
    try {
      await assert.rejects(conn.start(), (e: unknown) =>
        DaemonStartError.is(e) && /exited while starting \(code 7\)/.test(e.message) && /disk I\/O error/.test(e.message));
      assert.equal(conn.state, 'stopped');
    } finally {
      conn.dispose();
    }
  });

  it('gives up on a daemon that accepts the connection but never answers', async function () {
    const home = tempHome();
    writeFileSync(join(home, 'daemon.token'), 'token');
    // A socket that accepts and stays silent, as a daemon stuck before its first reply would.
    const pidFile = join(home, 'hang.pid');
    const hang = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));` +
      `require('net').createServer(() => {}).listen(${JSON.stringify(join(home, 'daemon.sock'))}); setTimeout(() => process.exit(0), 60000);`;
    const node = fakeNode(home, `exec ${process.platform === 'win32' ? 'node' : '/usr/bin/env node'} -e ${JSON.stringify(hang)}`);
    const conn = new DaemonConnection({ home: () => home, nodePath: () => node, daemonScript });
    try {
      await assert.rejects(conn.start(), (e: unknown) => DaemonUnresponsiveError.is(e) && /did not answer within 15 s/.test(e.message));
      assert.equal(conn.state, 'stopped');
    } finally {
      conn.dispose();
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')));
      } catch {
        // It exits by itself after a minute; nothing to do if it already has.
      }
    }
  });

  it('notices a killed daemon and reconnects with backoff once one runs again', async function () {
    const home = tempHome();
    const conn = new DaemonConnection({ home: () => home, nodePath: () => undefined, daemonScript });
    try {
      const first = await conn.start();
      process.kill(first.info.pid, 'SIGKILL');
      await waitForState(conn, (s) => s !== 'connected', 5000);
      // Another client (the CLI, another window) starts it again; this connection finds it by itself.
      (await startDetached({ node: 'node', script: daemonScript, home, clientName: 'test' })).close();
      await waitForState(conn, (s) => s === 'connected', 20_000);
      assert.notEqual(conn.current?.info.pid, first.info.pid);
      assert.equal(await conn.stop(), true);
    } finally {
      if (conn.current) await conn.stop().catch(() => undefined);
      conn.dispose();
    }
  });
});
