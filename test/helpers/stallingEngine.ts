import { connect, createServer, type Socket } from 'node:net';
import { dockerSocketPath } from './services';

/**
 * The real Docker engine behind a unix socket that holds some requests forever: an engine that is up
 * and answers pings but hangs on, say, creating containers. Every request whose request line matches
 * `stall` is never passed on, nor is anything after it on that connection; the rest go through as is.
 */
export interface StallingEngine {
  socketPath: string;
  /** Requests held so far. */
  readonly stalled: number;
  /** Stops holding: from now on every request goes through. */
  release(): void;
  /** Closes every connection (held requests fail on the client side) and the socket. */
  close(): Promise<void>;
}

export async function startStallingEngine(socketPath: string, stall: RegExp): Promise<StallingEngine> {
  const sockets = new Set<Socket>();
  let stalled = 0;
  let holding = true;
  // Half-open both ways: an attached client ends its stdin and goes on reading the container's output.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ path: dockerSocketPath(), allowHalfOpen: true });
    sockets.add(client).add(upstream);
    let held = false;
    client.on('data', (chunk: Buffer) => {
      if (held) return;
      // A request starts a chunk: the client writes its head in one piece.
      if (holding && stall.test(chunk.toString('latin1').split('\r\n', 1)[0])) {
        held = true;
        stalled++;
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('end', () => {
      if (!held) upstream.end();
    });
    upstream.on('end', () => client.end());
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  return {
    socketPath,
    get stalled() {
      return stalled;
    },
    release: () => (holding = false),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
