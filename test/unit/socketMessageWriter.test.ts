import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'vscode-jsonrpc';
import { SocketMessageWriter } from '../../daemon/client/socketMessageWriter';

const note = (n: number): Message => ({ jsonrpc: '2.0', method: 'test/n', params: { n, text: 'é' } }) as Message;

describe('SocketMessageWriter', () => {
  let dir: string;
  let server: Server;
  let sender: Socket;
  let chunks: Buffer[];
  let received: () => string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'writer-'));
    const path = join(dir, 's');
    chunks = [];
    const accepted = new Promise<Socket>((resolve) => {
      server = createServer((socket) => {
        socket.on('data', (chunk) => chunks.push(chunk));
        resolve(socket);
      }).listen(path);
    });
    await new Promise((resolve) => server.once('listening', resolve));
    sender = createConnection(path);
    await new Promise((resolve) => sender.once('connect', resolve));
    await accepted;
    received = () => Buffer.concat(chunks).toString('utf8');
  });
  afterEach(() => {
    sender.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const until = async (done: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it('sends the messages of one turn together, in order, framed with their byte length', async () => {
    const writer = new SocketMessageWriter(sender);
    await Promise.all([writer.write(note(1)), writer.write(note(2)), writer.write(note(3))]);
    await until(() => received().split('Content-Length').length === 4);
    const frames = received().split(/Content-Length: (\d+)\r\n\r\n/).slice(1);
    const bodies: unknown[] = [];
    for (let i = 0; i < frames.length; i += 2) {
      assert.equal(Buffer.byteLength(frames[i + 1]), Number(frames[i]), 'the length counts bytes, not characters');
      bodies.push(JSON.parse(frames[i + 1]));
    }
    assert.deepEqual(bodies.map((b) => (b as { params: { n: number } }).params.n), [1, 2, 3]);
    assert.equal(chunks.length, 1, 'one write for the turn, not two per message');
  });

  it('runs beforeFlush before anything of the turn leaves', async () => {
    const seen: { corked: number; pending: number }[] = [];
    const writer = new SocketMessageWriter(sender, () => seen.push({ corked: sender.writableCorked, pending: sender.writableLength }));
    void writer.write(note(1));
    void writer.write(note(2));
    await until(() => chunks.length > 0);
    assert.equal(seen.length, 1, 'called once for the turn');
    assert.equal(seen[0].corked, 1, 'the socket still held the messages');
    assert.ok(seen[0].pending > 0, 'both messages were waiting in it');
  });

  it('refuses to write once the connection is closed', async () => {
    const writer = new SocketMessageWriter(sender);
    sender.destroy();
    await assert.rejects(writer.write(note(1)), /closed/);
  });
});
