// Runs inside the VS Code extension host: one daemon shared by windows, outliving them; views fed by it.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { DeleteVariableRequest, SetVariableRequest } from '../../../daemon/protocol/variables';
import { DaemonClient } from '../../../daemon/client/daemonClient';
import { DaemonConnection } from '../../../extension/daemon/daemonConnection';
import type { CroniumApi } from '../../../extension/extension';
import { VariablesModel } from '../../../extension/variables/variablesTree';

describe('one daemon for every window', function () {
  let daemonScript: string;
  let api: CroniumApi;

  before(async function () {
    const ext = vscode.extensions.getExtension<CroniumApi>('cronium.cronium-vscode');
    assert.ok(ext);
    api = await ext.activate();
    daemonScript = join(ext.extensionPath, 'dist', 'daemon.js');
  });

  it('starts one daemon when two windows need it at the same moment, and leaves it running when both close', async function () {
    const home = mkdtempSync(join(tmpdir(), 'crx-'));
    const options = { home: () => home, nodePath: () => undefined, daemonScript };
    const a = new DaemonConnection(options);
    const b = new DaemonConnection(options);
    const [ca, cb] = await Promise.all([a.start(), b.start()]);
    assert.equal(ca.info.pid, cb.info.pid);
    a.dispose();
    b.dispose();
    const after = await DaemonClient.connect(home, 'test');
    assert.equal(after.info.pid, ca.info.pid, 'the daemon outlives the windows');
    after.close();
    const stopper = new DaemonConnection(options);
    assert.equal(await stopper.stop(), true);
    stopper.dispose();
  });

  it('lists variables with secrets masked', async function () {
    // A connection of this bundle: protocol constants of one vscode-jsonrpc copy cannot travel on another's.
    const conn = new DaemonConnection({ home: () => api.daemon.home, nodePath: () => undefined, daemonScript });
    const client = await conn.start();
    const model = new VariablesModel(conn);
    try {
      await client.connection.sendRequest(SetVariableRequest, { key: 'e2e_secret', value: 'hunter2', secret: true });
      await client.connection.sendRequest(SetVariableRequest, { key: 'e2e_plain', value: { n: 1 } });
      await model.refresh();
      const items = model.getChildren();
      const secret = items.find((i) => i.variable.key === 'e2e_secret');
      const plain = items.find((i) => i.variable.key === 'e2e_plain');
      assert.equal(secret?.description, '••••••');
      assert.equal(plain?.description, '{"n":1}');
      assert.ok(!JSON.stringify(items.map((i) => i.description)).includes('hunter2'));
    } finally {
      await client.connection.sendRequest(DeleteVariableRequest, { key: 'e2e_secret' }).catch(() => undefined);
      await client.connection.sendRequest(DeleteVariableRequest, { key: 'e2e_plain' }).catch(() => undefined);
      model.dispose();
      conn.dispose();
    }
  });

  it('filters the Jobs view by status', async function () {
    await api.daemon.require();
    api.jobs.setFilter(new Set(['failed']));
    try {
      assert.ok(api.jobs.getChildren().every((item) => item.job.status === 'failed'));
    } finally {
      api.jobs.setFilter(undefined);
    }
  });
});
