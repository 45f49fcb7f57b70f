import assert from 'node:assert/strict';
import type { JobDto, LogLineDto } from '../../daemon/protocol/dto';
import { classifyInput, endsLine, renderTerminalLines, terminalError, terminalFinalLine, terminalNotice } from '../../extension/jobs/terminalFormat';

const line = (text: string, over: Partial<LogLineDto> = {}): LogLineDto => ({ seq: 1, stream: 'stdout', ts: 0, text, ...over });
const job = (over: Partial<JobDto>): JobDto =>
  ({ id: 'j1', name: 'a.sh', status: 'succeeded', exitCode: 0, signal: null, durationMs: 1234, ...over }) as JobDto;

describe('job terminal formatting', function () {
  it('writes pty lines as they are and ends them with only \\n after their \\r', function () {
    assert.equal(renderTerminalLines([line('name? ', { partial: true }), line('Ada\r'), line('hi Ada\r')]), 'name? Ada\r\nhi Ada\r\n');
  });

  it('ends plain pipe lines with \\r\\n and colours stderr red', function () {
    assert.equal(renderTerminalLines([line('out'), line('bad', { stream: 'stderr' })]), 'out\r\n\x1b[31mbad\x1b[0m\r\n');
  });

  it('turns Ctrl-C into a cancel and passes other keys through', function () {
    assert.deepEqual(classifyInput('\x03'), { kind: 'cancel' });
    assert.deepEqual(classifyInput('a\r'), { kind: 'stdin', data: 'a\r' });
    assert.deepEqual(classifyInput('\x04'), { kind: 'stdin', data: '\x04' });
  });

  it('ends with a dim line saying how the job ended, on a line of its own', function () {
    assert.equal(terminalFinalLine(job({}), true), '\x1b[2m── job succeeded (exit 0) in 1.2 s\x1b[0m\r\n');
    assert.equal(terminalFinalLine(job({ status: 'cancelled', exitCode: null, signal: 'SIGTERM' }), false),
      '\r\n\x1b[2m── job cancelled (SIGTERM)\x1b[0m\r\n');
  });

  it('knows whether the output ended a line', function () {
    assert.equal(endsLine([], false), false);
    assert.equal(endsLine([line('x', { partial: true })], true), false);
    assert.equal(endsLine([line('x')], false), true);
  });

  it('writes errors red with terminal line breaks', function () {
    assert.equal(terminalError('a\nb'), '\x1b[31ma\r\nb\x1b[0m\r\n');
  });

  it('writes notices dim, before the job output', function () {
    assert.equal(terminalNotice('Running on the host: Docker is not reachable'), '\x1b[2mRunning on the host: Docker is not reachable\x1b[0m\r\n');
  });
});
