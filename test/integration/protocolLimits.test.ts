import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResponseError } from 'vscode-jsonrpc';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { ErrorCodes } from '../../daemon/protocol/errors';
import { RunJobRequest } from '../../daemon/protocol/jobs';
import { DaemonStatusRequest } from '../../daemon/protocol/lifecycle';
import { GetVariableRequest, SetVariableRequest } from '../../daemon/protocol/variables';
import { PROTOCOL_VERSION } from '../../daemon/protocol/version';
import { startSuiteDaemon, stopSuiteDaemon, type DaemonProcess } from '../helpers/daemonProcess';
import { RawSocket } from '../helpers/rawSocket';

const MiB = 1024 * 1024;

/** Resident memory of a process, from /proc. */
function rssBytes(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** Resolves true when `promise` settles within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

function frame(message: object): string {
  const body = JSON.stringify(message);
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Asserts that `request` is refused with invalid_params and a message naming the limit. */
async function assertRefused(request: Promise<unknown>, path: string, message: RegExp): Promise<void> {
  await assert.rejects(request, (e: unknown) => {
    assert.ok(e instanceof ResponseError);
    assert.equal(e.code, ErrorCodes.InvalidParams);
    const issues = (e.data as { issues: { path: string; message: string }[] }).issues;
    assert.deepEqual(issues.map((i) => i.path), [path]);
    assert.match(issues[0].message, message);
    assert.match(e.message, message);
    return true;
  });
}

describe('daemon protocol: size limits on params and frames', function () {
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;
  let socketPath: string;
  let token: string;

  before(async function () {
    ({ home, daemon, client } = await startSuiteDaemon());
    socketPath = join(home, 'daemon.sock');
    token = readFileSync(join(home, 'daemon.token'), 'utf8').trim();
  });

  after(() => stopSuiteDaemon({ home, daemon, client }));

  async function assertStillServing(): Promise<void> {
    const other = await daemon.connect('other');
    try {
      assert.equal((await other.connection.sendRequest(DaemonStatusRequest)).pid, daemon.pid);
    } finally {
      other.close();
    }
  }

  it('refuses a job input over 1 MiB of JSON, naming the limit', async function () {
    const input = { text: 'x'.repeat(MiB) };
    await assertRefused(
      client.connection.sendRequest(RunJobRequest, { content: 'true', runtime: 'bash', target: 'local', input }),
      'input',
      /input is limited to 1 MiB of JSON/,
    );
  });

  it('refuses a variable value over 1 MiB of JSON, naming the limit', async function () {
    await assertRefused(
      client.connection.sendRequest(SetVariableRequest, { key: 'big', value: ['y'.repeat(MiB)] }),
      'value',
      /variable values are limited to 1 MiB of JSON/,
    );
  });

  it('refuses an env of more than 1000 variables, and one over 1 MiB in total', async function () {
    const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`V${i}`, '1']));
    await assertRefused(
      client.connection.sendRequest(RunJobRequest, { content: 'true', runtime: 'bash', target: 'local', env: many }),
      'env',
      /env is limited to 1000 variables/,
    );
    const large = { A: 'a'.repeat(600 * 1024), B: 'b'.repeat(600 * 1024) };
    await assertRefused(
      client.connection.sendRequest(RunJobRequest, { content: 'true', runtime: 'bash', target: 'local', env: large }),
      'env',
      /env is limited to 1 MiB in total/,
    );
  });

  it('answers a frame announced at 100 MB before initialize with frame_too_large, naming the limit, and closes', async function () {
    const raw = await RawSocket.connect(socketPath);
    raw.sendRaw('Content-Length: 100000000\r\n\r\n');
    const reply = await raw.nextMessage(3000);
    const error = reply.error as { code: number; message: string; data: unknown };
    assert.equal(error.code, -32600);
    assert.deepEqual(error.data, { kind: 'frame_too_large' });
    assert.equal(error.message, 'Refused a frame of 100000000 bytes before lifecycle/initialize (the limit before it is 64 KiB)');
    assert.equal(await within(raw.closed, 3000), true, 'the daemon closed the connection');
  });

  it('closes a connection sending a 100 MB frame before initialize at once, without buffering it, and serves others', async function () {
    this.timeout(60_000);
    const before = rssBytes(daemon.pid);
    const raw = await RawSocket.connect(socketPath);
    raw.sendRaw('Content-Length: 100000000\r\n\r\n');
    const chunk = Buffer.alloc(MiB, 0x61);
    const sending = (async () => {
      for (let sent = 0; sent < 64; sent++) if (!(await raw.sendBytes(chunk))) return sent;
      return 64;
    })();
    // Well before the 10 s handshake timeout, which used to be what closed such a connection.
    assert.equal(await within(raw.closed, 3000), true, 'the daemon closed the connection within 3 s');
    assert.ok((await sending) < 64, 'the daemon stopped taking the frame');
    await assertStillServing();
    const grown = rssBytes(daemon.pid) - before;
    assert.ok(grown < 16 * MiB, `the daemon's RSS grew by ${(grown / MiB).toFixed(1)} MiB`);
    const log = readFileSync(join(home, 'logs', 'daemon.log'), 'utf8');
    assert.match(log, /refused: a frame of 100000000 bytes before lifecycle\/initialize \(the limit before it is 64 KiB\)/);
  });

  it('closes a connection whose first frame header never ends', async function () {
    const raw = await RawSocket.connect(socketPath);
    raw.sendRaw(`Content-Type: ${'x'.repeat(100_000)}`);
    assert.equal(await within(raw.closed, 3000), true, 'the daemon closed the connection within 3 s');
    await assertStillServing();
  });

  it('serves requests pipelined behind initialize, and frames above 64 KiB after it', async function () {
    const raw = await RawSocket.connect(socketPath);
    const initialize = { jsonrpc: '2.0', id: 1, method: 'lifecycle/initialize', params: { token, clientName: 'pipelined', protocolVersion: PROTOCOL_VERSION } };
    const status = { jsonrpc: '2.0', id: 2, method: DaemonStatusRequest.method };
    const large = { jsonrpc: '2.0', id: 3, method: GetVariableRequest.method, params: { key: 'k'.repeat(200 * 1024) } };
    raw.sendRaw(frame(initialize) + frame(status) + frame(large));
    const replies = [await raw.nextMessage(), await raw.nextMessage(), await raw.nextMessage()];
    assert.deepEqual(
      replies.map((r) => r.id),
      [1, 2, 3],
    );
    assert.equal(replies[0].error, undefined);
    assert.equal((replies[1].result as { pid: number }).pid, daemon.pid);
    assert.equal((replies[2].error as { code: number }).code, ErrorCodes.InvalidParams, 'a 200 KiB frame is read and answered (the key is too long)');
    assert.equal(raw.isClosed, false);
    raw.destroy();
  });

  it('closes an initialized connection that announces a frame over 32 MiB', async function () {
    const raw = await RawSocket.connect(socketPath);
    const initialize = { jsonrpc: '2.0', id: 1, method: 'lifecycle/initialize', params: { token, clientName: 'huge', protocolVersion: PROTOCOL_VERSION } };
    raw.sendRaw(frame(initialize));
    assert.equal((await raw.nextMessage()).error, undefined);
    raw.sendRaw(`Content-Length: ${40 * MiB}\r\n\r\n`);
    const error = (await raw.nextMessage(3000)).error as { message: string; data: unknown };
    assert.deepEqual(error.data, { kind: 'frame_too_large' });
    assert.equal(error.message, `Refused a frame of ${40 * MiB} bytes (the limit is 32 MiB)`);
    assert.equal(await within(raw.closed, 3000), true, 'the daemon closed the connection');
    await assertStillServing();
  });
});
