import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ResponseError } from 'vscode-jsonrpc';
import { ErrorCodes } from '../../daemon/protocol/errors';
import { RunJobRequest } from '../../daemon/protocol/jobs';
import { DaemonStatusRequest } from '../../daemon/protocol/lifecycle';
import { PROTOCOL_VERSION } from '../../daemon/protocol/version';
import { DaemonProcess } from '../helpers/daemonProcess';
import { RawSocket } from '../helpers/rawSocket';
import { makeTempHome, removeHome } from '../helpers/tempHome';

describe('daemon protocol and its guards', function () {
  let home: string;
  let daemon: DaemonProcess;
  let socketPath: string;
  let token: string;

  before(async function () {
    home = makeTempHome();
    daemon = await DaemonProcess.start(home);
    socketPath = join(home, 'daemon.sock');
    token = readFileSync(join(home, 'daemon.token'), 'utf8').trim();
  });

  after(async function () {
    await daemon?.stop();
    removeHome(home);
  });

  async function assertStillServing(): Promise<void> {
    assert.equal(daemon.running, true, 'the daemon process is still up');
    const client = await daemon.connect();
    const status = await client.connection.sendRequest(DaemonStatusRequest);
    assert.equal(status.pid, daemon.pid);
    client.close();
  }

  it('keeps its socket and token readable by the owner only', function () {
    assert.equal(statSync(socketPath).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'daemon.token')).mode & 0o777, 0o600);
  });

  it('refuses a client with a wrong token and closes the connection', async function () {
    const raw = await RawSocket.connect(socketPath);
    raw.sendFramed(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'lifecycle/initialize',
        params: { token: 'f'.repeat(64), clientName: 'intruder', protocolVersion: PROTOCOL_VERSION },
      }),
    );
    const reply = await raw.nextMessage();
    assert.equal(reply.id, 1);
    const error = reply.error as { code: number; data: { kind: string } };
    assert.equal(error.code, ErrorCodes.Unauthorized);
    assert.equal(error.data.kind, 'unauthorized');
    await raw.closed;
    await assertStillServing();
  });

  it('refuses a connection whose first message is not initialize', async function () {
    const raw = await RawSocket.connect(socketPath);
    raw.sendFramed(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'jobs/list', params: {} }));
    const reply = await raw.nextMessage();
    const error = reply.error as { code: number; data: { kind: string } };
    assert.equal(reply.id, 7);
    assert.equal(error.code, ErrorCodes.NotInitialized);
    await raw.closed;
    assert.equal(raw.isClosed, true);
  });

  it('refuses another protocol version with both versions and a hint to restart the daemon', async function () {
    const raw = await RawSocket.connect(socketPath);
    raw.sendFramed(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'lifecycle/initialize',
        params: { token, clientName: 'old', protocolVersion: PROTOCOL_VERSION + 1 },
      }),
    );
    const error = (await raw.nextMessage()).error as { code: number; message: string; data: Record<string, unknown> };
    assert.equal(error.code, ErrorCodes.ProtocolMismatch);
    assert.equal(error.message, `The daemon speaks protocol ${PROTOCOL_VERSION}, the client ${PROTOCOL_VERSION + 1}`);
    assert.deepEqual(error.data, {
      kind: 'protocol_mismatch',
      daemonProtocolVersion: PROTOCOL_VERSION,
      clientProtocolVersion: PROTOCOL_VERSION + 1,
      hint: { action: 'restart_daemon' },
    });
    await raw.closed;
  });

  it('answers malformed JSON with a parse error and stays up', async function () {
    const raw = await RawSocket.connect(socketPath);
    raw.sendFramed('{"jsonrpc": "2.0", "id": 1, "method": ');
    const reply = await raw.nextMessage();
    assert.equal((reply.error as { code: number }).code, -32700);
    await raw.closed;
    await assertStillServing();
  });

  it('answers a JSON value that is not a JSON-RPC message with invalid request', async function () {
    const raw = await RawSocket.connect(socketPath);
    raw.sendFramed(JSON.stringify([1, 2, 3]));
    const reply = await raw.nextMessage();
    assert.equal((reply.error as { code: number }).code, -32600);
    await raw.closed;
    await assertStillServing();
  });

  it('answers garbage bytes without headers and stays up', async function () {
    const raw = await RawSocket.connect(socketPath);
    raw.sendRaw('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await raw.closed;
    await assertStillServing();
  });

  it('rejects invalid params with kind invalid_params and the issues, after initialize', async function () {
    const client = await daemon.connect();
    try {
      await assert.rejects(
        client.connection.sendRequest(RunJobRequest, { content: 'true', runtime: 'ruby' as 'bash', timeoutMs: -1 }),
        (e: unknown) => {
          assert.ok(e instanceof ResponseError);
          assert.equal(e.code, ErrorCodes.InvalidParams);
          const data = e.data as { kind: string; issues: { path: string }[] };
          assert.equal(data.kind, 'invalid_params');
          assert.deepEqual(data.issues.map((i) => i.path).sort(), ['runtime', 'timeoutMs']);
          return true;
        },
      );
      await assert.rejects(client.connection.sendRequest('jobs/nope', {}), (e: unknown) => {
        assert.ok(e instanceof ResponseError);
        assert.equal(e.code, -32601);
        return true;
      });
      await assert.rejects(
        client.connection.sendRequest(RunJobRequest, { content: 'echo hi' }),
        (e: unknown) => e instanceof ResponseError && (e.data as { kind: string }).kind === 'runtime_unavailable',
      );
    } finally {
      client.close();
    }
    await assertStillServing();
  });

  it('says a second daemon on the same home is already running and exits 0', async function () {
    const second = await DaemonProcess.start(home).catch((e: unknown) => e);
    // start() waits for the socket, which the first daemon serves; the second must have exited 0.
    assert.ok(second instanceof DaemonProcess);
    assert.equal(await second.exited, 0);
    assert.match(second.stdoutText, new RegExp(`already running \\(pid ${daemon.pid}`));
    await assertStillServing();
  });
});
