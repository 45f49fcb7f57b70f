import { connect, createServer, type Socket } from 'node:net';
import { dockerSocketPath } from './services';

/**
 * The real Docker engine behind another address: a unix socket, or TCP on 127.0.0.1 (an engine reached
 * with DOCKER_HOST=tcp://…). It can also hold some requests forever, which makes an engine that is up and
 * answers pings but hangs on, say, creating containers: every request whose request line matches `stall`
 * is never passed on, nor is anything after it on that connection; the rest go through as is.
 */
export interface EngineProxy {
  /** Where clients reach it: the socket path, or tcp://127.0.0.1:PORT. */
  address: string;
  /** Connections clients made so far. */
  readonly connections: number;
  /** Requests held so far. */
  readonly stalled: number;
  /** Stops holding: from now on every request goes through. */
  release(): void;
  /** Closes every connection (held requests fail on the client side) and the socket. */
  close(): Promise<void>;
}

/** A slow engine: requests whose request line matches `match` reach it `ms` later (and what follows them). */
export interface EngineDelay {
  match: RegExp;
  ms: number;
}

/** Listens on the unix socket `listenOn`, or on a free TCP port of 127.0.0.1 when it is 'tcp'. */
export async function startEngineProxy(listenOn: string, stall?: RegExp, delay?: EngineDelay): Promise<EngineProxy> {
  const sockets = new Set<Socket>();
  let stalled = 0;
  let connections = 0;
  let holding = true;
  // Half-open both ways: an attached client ends its stdin and goes on reading the container's output.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ path: dockerSocketPath(), allowHalfOpen: true });
    connections++;
    sockets.add(client).add(upstream);
    let held = false;
    // What the client sent goes on in order; a delayed request holds back what follows it.
    let passing = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      if (held) return;
      // A request starts a chunk: the client writes its head in one piece.
      const requestLine = chunk.toString('latin1').split('\r\n', 1)[0];
      if (holding && stall?.test(requestLine)) {
        held = true;
        stalled++;
        return;
      }
      if (delay?.match.test(requestLine)) passing = passing.then(() => new Promise((resolve) => setTimeout(resolve, delay.ms)));
      passing = passing.then(() => void upstream.write(chunk));
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('end', () => {
      if (!held) passing = passing.then(() => void upstream.end());
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
  await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (listenOn === 'tcp') server.listen(0, '127.0.0.1', resolve);
      else server.listen(listenOn, resolve);
  });
  const bound = server.address();
  return {
    address: typeof bound === 'string' || bound === null ? listenOn : `tcp://127.0.0.1:${bound.port}`,
    get connections() {
      return connections;
    },
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
