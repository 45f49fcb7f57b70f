// The sidecar's relay (runtime-images/sidecar/relay.js) on its own, as a plain node process on the host:
// the line protocol, the limits and the recovery switch, without Docker.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const RELAY = join(__dirname, '..', '..', '..', 'runtime-images', 'sidecar', 'relay.js');

interface RelayLine {
  id?: number;
  ready?: boolean;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A relay process; `lines` yields what it writes on stdout, in order. */
class Relay {
  private queue: RelayLine[] = [];
  private waiting: Array<(line: RelayLine) => void> = [];

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly port: number,
  ) {
    createInterface({ input: child.stdout }).on('line', (text) => {
      const line = JSON.parse(text) as RelayLine;
      const next = this.waiting.shift();
      if (next) next(line);
      else this.queue.push(line);
    });
  }

  static async start(timeoutMs = 30_000): Promise<Relay> {
    const port = await freePort();
    const child = spawn(process.execPath, [RELAY], {
      env: { CRONIUM_RELAY_PORT: String(port), CRONIUM_RELAY_TIMEOUT_MS: String(timeoutMs) },
    });
    const relay = new Relay(child, port);
    assert.deepEqual(await relay.next(), { ready: true, port });
    return relay;
  }

  next(): Promise<RelayLine> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  send(message: object): void {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  call(method: string, path: string, body?: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, method, path, headers: { authorization: 'Bearer t' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

describe('sidecar relay (relay.js)', function () {
  let relay: Relay | undefined;

  afterEach(function () {
    relay?.stop();
    relay = undefined;
  });

  it('writes each request as a line and answers with the line it reads back', async function () {
    relay = await Relay.start();
    const response = relay.call('PUT', '/executions/e/variables/k', Buffer.from('{"value":1}'));
    const line = await relay.next();
    assert.equal(line.id, 1);
    assert.equal(line.method, 'PUT');
    assert.equal(line.path, '/executions/e/variables/k');
    assert.equal(line.headers?.authorization, 'Bearer t');
    assert.equal(Buffer.from(line.body ?? '', 'base64').toString(), '{"value":1}');
    relay.send({ id: 1, status: 201, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
    assert.deepEqual(await response, { status: 201, body: '{"ok":true}' });
  });

  it('answers its own health check, refuses bodies over 1 MiB, and times out an unanswered request', async function () {
    relay = await Relay.start(300);
    assert.equal((await relay.call('GET', '/relay-health')).status, 200);
    assert.equal((await relay.call('POST', '/executions/e/output', Buffer.alloc(1024 * 1024 + 1))).status, 413);
    const slow = relay.call('GET', '/executions/e/input');
    assert.equal((await relay.next()).path, '/executions/e/input', 'only the request within limits was relayed');
    assert.equal((await slow).status, 504);
  });

  it('repeats unanswered requests on resync, and fails them fast once its stdin closes', async function () {
    relay = await Relay.start();
    const pending = relay.call('GET', '/executions/e/context');
    const first = await relay.next();
    relay.send({ resync: true });
    assert.deepEqual(await relay.next(), first);
    relay.send({ id: first.id, status: 200, headers: {}, body: 'eyJhIjoxfQ==', bodyEncoding: 'base64' });
    assert.deepEqual(await pending, { status: 200, body: '{"a":1}' });

    const orphaned = relay.call('GET', '/executions/e/input');
    await relay.next();
    relay.child.stdin.end();
    assert.equal((await orphaned).status, 502);
    assert.equal((await relay.call('GET', '/executions/e/input')).status, 502);
  });
});
