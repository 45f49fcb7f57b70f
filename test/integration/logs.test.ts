import assert from 'node:assert/strict';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { followJob } from '../../daemon/cli/followJob';
import type { LogLineDto } from '../../daemon/protocol/dto';
import { RunJobRequest } from '../../daemon/protocol/jobs';
import { ReadLogsRequest } from '../../daemon/protocol/logs';
import { DaemonProcess, runToEnd, startSuiteDaemon, stopSuiteDaemon } from '../helpers/daemonProcess';

/** Joins lines back into the exact text a stream carried. */
function reassemble(lines: LogLineDto[], stream: 'stdout' | 'stderr'): Buffer {
  return Buffer.concat(
    lines
      .filter((l) => l.stream === stream)
      .map((l) => {
        const body = l.raw !== undefined ? Buffer.from(l.raw, 'base64') : Buffer.from(l.text);
        return l.partial ? body : Buffer.concat([body, Buffer.from('\n')]);
      }),
  );
}

async function readAll(client: DaemonClient, jobId: string): Promise<LogLineDto[]> {
  const lines: LogLineDto[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = await client.connection.sendRequest(ReadLogsRequest, { jobId, afterSeq, limit: 10_000 });
    lines.push(...page.lines);
    afterSeq = page.nextSeq;
    if (page.atEnd) return lines;
  }
}

describe('job logs', function () {
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;

  before(async function () {
    ({ home, daemon, client } = await startSuiteDaemon());
  });

  after(() => stopSuiteDaemon({ home, daemon, client }));

  it('keeps each line with its stream, a gapless sequence number and a timestamp', async function () {
    const before = Date.now();
    const { job, lines } = await runToEnd(client, {
      content: 'for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; done\n',
      runtime: 'bash',
    });
    assert.equal(lines.length, 6);
    assert.deepEqual(
      lines.map((l) => l.seq),
      [1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      lines.filter((l) => l.stream === 'stdout').map((l) => l.text),
      ['out 1', 'out 2', 'out 3'],
    );
    assert.deepEqual(
      lines.filter((l) => l.stream === 'stderr').map((l) => l.text),
      ['err 1', 'err 2', 'err 3'],
    );
    for (const line of lines) assert.ok(line.ts >= before && line.ts <= Date.now());
    assert.equal(job.logLines, 6);
    assert.deepEqual(await readAll(client, job.id), lines, 'the stored lines are the streamed ones');
  });

  it('keeps a last line without a newline', async function () {
    const { stdout, lines } = await runToEnd(client, { content: 'printf "a\\nno newline"\n', runtime: 'bash' });
    assert.equal(stdout, 'a\nno newline');
    assert.equal(lines[1].partial, true);
  });

  it('keeps a 3 MiB line without a newline whole, in bounded pieces', async function () {
    const { job, lines } = await runToEnd(client, {
      content: "process.stdout.write('x'.repeat(3 * 1024 * 1024 + 17)); process.stdout.write('\\nafter\\n');\n",
      runtime: 'node',
    });
    assert.equal(job.status, 'succeeded');
    const text = reassemble(lines, 'stdout').toString();
    assert.equal(text, 'x'.repeat(3 * 1024 * 1024 + 17) + '\nafter\n');
    assert.ok(lines.every((l) => Buffer.byteLength(l.text) <= 1024 * 1024), 'no piece is over 1 MiB');
    assert.ok(lines.length >= 4);
  });

  it('keeps invalid UTF-8 byte for byte', async function () {
    const { lines } = await runToEnd(client, {
      content: "printf 'ok \\xc3\\xa9\\nbad \\xff\\xfe\\x80 end\\n'\n",
      runtime: 'bash',
    });
    assert.equal(lines[0].text, 'ok é');
    assert.equal(lines[0].raw, undefined);
    assert.equal(lines[1].text, 'bad \ufffd\ufffd\ufffd end');
    assert.deepEqual(Buffer.from(lines[1].raw as string, 'base64'), Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0x80, 0x20, 0x65, 0x6e, 0x64]));
  });

  it('streams every line to two subscribed clients at once', async function () {
    const second = await daemon.connect('second');
    try {
      const { job } = await client.connection.sendRequest(RunJobRequest, {
        content: 'for i in $(seq 1 20000); do echo "line $i"; done\n',
        runtime: 'bash',
        target: 'local',
      });
      const got: LogLineDto[][] = [[], []];
      await Promise.all([
        followJob(client, job.id, (b) => got[0].push(...b)),
        followJob(second, job.id, (b) => got[1].push(...b)),
      ]);
      for (const lines of got) {
        assert.equal(lines.length, 20000);
        lines.forEach((l, i) => {
          assert.equal(l.seq, i + 1);
          assert.equal(l.text, `line ${i + 1}`);
        });
      }
    } finally {
      second.close();
    }
  });

  it('loses nothing when a client reads slower than the job prints', async function () {
    this.timeout(60_000);
    const slow = await daemon.connect('slow');
    try {
      const { job } = await client.connection.sendRequest(RunJobRequest, {
        content: "for (let i = 1; i <= 300000; i++) console.log('slow line ' + i + ' ' + 'y'.repeat(100));\n",
        runtime: 'node',
        target: 'local',
      });
      const lines: LogLineDto[] = [];
      let paused = false;
      const done = followJob(slow, job.id, (batch) => {
        lines.push(...batch);
        if (!paused && lines.length > 1000) {
          // Stop reading for a while: the job goes on printing ~35 MB meanwhile.
          paused = true;
          slow.pause();
          setTimeout(() => slow.resume(), 1500);
        }
      });
      const final = await done;
      assert.equal(final.status, 'succeeded');
      assert.equal(lines.length, 300000);
      for (let i = 0; i < lines.length; i++) {
        if (lines[i].seq !== i + 1 || lines[i].text !== `slow line ${i + 1} ${'y'.repeat(100)}`) {
          assert.fail(`line ${i + 1} is wrong: ${JSON.stringify(lines[i]).slice(0, 200)}`);
        }
      }
    } finally {
      slow.close();
    }
  });

  it('replays stored lines to a late subscriber, then ends', async function () {
    const { job } = await runToEnd(client, { content: 'seq 1 5\n', runtime: 'bash' });
    const late: LogLineDto[] = [];
    await followJob(client, job.id, (b) => late.push(...b), 2);
    assert.deepEqual(
      late.map((l) => l.text),
      ['3', '4', '5'],
    );
  });

  it('pages stored lines with logs/read', async function () {
    const { job } = await runToEnd(client, { content: 'seq 1 25\n', runtime: 'bash' });
    const first = await client.connection.sendRequest(ReadLogsRequest, { jobId: job.id, limit: 10 });
    assert.equal(first.lines.length, 10);
    assert.equal(first.nextSeq, 10);
    assert.equal(first.atEnd, false);
    const rest = await client.connection.sendRequest(ReadLogsRequest, { jobId: job.id, afterSeq: 20, limit: 10 });
    assert.deepEqual(
      rest.lines.map((l) => l.text),
      ['21', '22', '23', '24', '25'],
    );
    assert.equal(rest.atEnd, true);
  });
});
