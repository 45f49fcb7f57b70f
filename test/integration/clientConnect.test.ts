import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ResponseError } from 'vscode-jsonrpc';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/client/daemonClient';
import { DaemonNotRunningError } from '../../daemon/client/errors';
import { homePaths } from '../../daemon/home';
import { ErrorCodes } from '../../daemon/protocol/errors';
import { InitializeRequest } from '../../daemon/protocol/lifecycle';
import { makeTempHome, removeHome } from '../helpers/tempHome';

/**
 * The client against sockets that are not a healthy daemon: a connection accepted by a daemon that
 * dies (or by a forked child of a killed one, which holds its socket until it execs) closes with no
 * answer, and vscode-jsonrpc would leave the initialize request pending for good.
 */
describe('connecting a client to a socket that closes', function () {
  let home: string;
  let server: Server | undefined;

  beforeEach(function () {
    home = makeTempHome();
    writeFileSync(homePaths(home).token, 'not-the-daemon\n');
  });

  afterEach(async function () {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    removeHome(home);
  });

  async function serve(onConnection: (socket: Socket) => void): Promise<void> {
    server = createServer(onConnection);
    await new Promise<void>((resolve) => (server as Server).listen(homePaths(home).socket, resolve));
  }

  it('gives up as on no daemon when the connection closes before initialize is answered', async function () {
    await serve((socket) => socket.once('data', () => socket.destroy()));
    await assert.rejects(DaemonClient.connect(home, 'test'), (e: unknown) => DaemonNotRunningError.is(e));
  });

  it('still reports a refusal that came just before the close', async function () {
    await serve((socket) => {
      const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
      connection.onRequest(InitializeRequest, () => {
        // The writer encodes asynchronously: close once the answer is on its way, as the daemon does.
        setTimeout(() => socket.end(), 20);
        return new ResponseError(ErrorCodes.Unauthorized, 'Wrong daemon token', { kind: 'unauthorized' });
      });
      connection.listen();
    });
    await assert.rejects(DaemonClient.connect(home, 'test'), (e: unknown) => e instanceof ResponseError && e.code === ErrorCodes.Unauthorized);
  });
});
