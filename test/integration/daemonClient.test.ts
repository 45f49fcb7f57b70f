import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { ResponseError } from 'vscode-jsonrpc';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/client/daemonClient';
import { DaemonUnresponsiveError, ProtocolMismatchError } from '../../daemon/client/errors';
import { ErrorCodes } from '../../daemon/protocol/errors';
import { ListJobsRequest } from '../../daemon/protocol/jobs';
import {
  DaemonStatusRequest,
  InitializeRequest,
  type DaemonLifecycleState,
  type DaemonStatusResult,
  type InitializeResult,
} from '../../daemon/protocol/lifecycle';
import { PROTOCOL_VERSION } from '../../daemon/protocol/version';
import { cronium } from '../helpers/cli';
import { makeTempHome, removeHome } from '../helpers/tempHome';

/**
 * A deliberately broken daemon on a home's socket: it accepts connections and then either stays silent
 * (`silent`) or answers `lifecycle/initialize` and `daemon/status` with `state` and never anything else.
 */
async function brokenDaemon(
  home: string,
  behaviour: { silent: true } | { state: DaemonLifecycleState } | { refuseWith: ResponseError<unknown> },
): Promise<{ close(): Promise<void> }> {
  writeFileSync(join(home, 'daemon.token'), 'token\n', { mode: 0o600 });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    if ('silent' in behaviour) return;
    const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
    const info = (state: DaemonLifecycleState): InitializeResult => ({ daemonVersion: 'x', protocolVersion: PROTOCOL_VERSION, pid: 1, home, state });
    connection.onRequest(InitializeRequest, () => ('refuseWith' in behaviour ? behaviour.refuseWith : info(behaviour.state)));
    connection.onRequest(DaemonStatusRequest, (): DaemonStatusResult => ({
      ...info('state' in behaviour ? behaviour.state : 'ready'),
      startedAt: new Date().toISOString(),
      uptimeMs: 0,
      runningJobs: 0,
      queuedJobs: 0,
      concurrency: 1,
      clients: 1,
      targets: ['local'],
      rssBytes: 0,
    }));
    connection.onRequest(ListJobsRequest, () => new Promise<never>(() => undefined));
    connection.listen();
  });
  await new Promise<void>((resolve) => server.listen(join(home, 'daemon.sock'), resolve));
  return {
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('the daemon client library against daemons that hang', function () {
  let home: string;
  let daemon: { close(): Promise<void> } | undefined;

  beforeEach(function () {
    home = makeTempHome();
  });

  afterEach(async function () {
    await daemon?.close();
    daemon = undefined;
    removeHome(home);
  });

  it('gives up the handshake with a daemon that accepts and never answers, after its bound', async function () {
    daemon = await brokenDaemon(home, { silent: true });
    const started = Date.now();
    await assert.rejects(DaemonClient.connect(home, 'test', { timeoutMs: 500 }), (e: unknown) => {
      assert.ok(DaemonUnresponsiveError.is(e));
      assert.equal(e.state, undefined);
      assert.match(e.message, /^The Cronium daemon \(home \S+\) did not answer within 0\.5 s$/);
      return true;
    });
    assert.ok(Date.now() - started < 2000);
  });

  it('the CLI stops waiting for a daemon that never answers the handshake, and says what to look at', async function () {
    this.timeout(40_000);
    daemon = await brokenDaemon(home, { silent: true });
    const started = Date.now();
    const result = await cronium(home, ['jobs']);
    const took = Date.now() - started;
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^cronium: The Cronium daemon \(home \S+\) did not answer within 10 s — see `cronium daemon status` and \S+daemon\.log\n$/);
    assert.ok(took < 20_000, `gave up after ${took} ms`);
  });

  it('bounds a request the daemon never answers and names what the daemon is doing', async function () {
    daemon = await brokenDaemon(home, { state: 'recovering' });
    const client = await DaemonClient.connect(home, 'test');
    try {
      assert.equal(client.info.state, 'recovering');
      await assert.rejects(client.request(ListJobsRequest, {}, { timeoutMs: 300 }), (e: unknown) => {
        assert.ok(DaemonUnresponsiveError.is(e));
        assert.equal(e.method, 'jobs/list');
        assert.equal(e.state, 'recovering');
        assert.match(e.message, /did not answer jobs\/list within 0\.3 s: it is recovering jobs that were running when it last stopped/);
        return true;
      });
    } finally {
      client.close();
    }
  });

  it('turns a refused protocol version into a ProtocolMismatchError with both versions', async function () {
    const refusal = new ResponseError(ErrorCodes.ProtocolMismatch, `The daemon speaks protocol 7, the client ${PROTOCOL_VERSION}`, {
      kind: 'protocol_mismatch',
      daemonProtocolVersion: 7,
      clientProtocolVersion: PROTOCOL_VERSION,
      hint: { action: 'restart_daemon' },
    });
    daemon = await brokenDaemon(home, { refuseWith: refusal });
    await assert.rejects(DaemonClient.connect(home, 'test'), (e: unknown) => {
      assert.ok(ProtocolMismatchError.is(e));
      assert.equal(e.daemonProtocolVersion, 7);
      assert.equal(e.clientProtocolVersion, PROTOCOL_VERSION);
      return true;
    });
    const result = await cronium(home, ['jobs']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /speaks protocol 7, this client protocol \d+ — stop it with `cronium daemon stop`, and the next command starts this version/);
  });
});
