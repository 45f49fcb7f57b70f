import assert from 'node:assert/strict';
import { parseNodeMajor, describeNodeProblem } from '../../extension/daemon/nodeVersion';
import {
  formatDuration,
  jobDescription,
  jobOutcome,
  renderLines,
  runtimeForLanguage,
  sortJobs,
  statusBarText,
  statusLook,
} from '../../extension/jobs/jobFormat';
import { variableDescription } from '../../extension/variables/variableFormat';
import type { JobDto, LogLineDto } from '../../daemon/protocol/dto';
import { JOB_STATUSES } from '../../daemon/protocol/dto';

const job = (over: Partial<JobDto>): JobDto =>
  ({ id: 'j1', name: 'hello.py', runtime: 'python', target: 'local', status: 'succeeded', createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: null, finishedAt: null, durationMs: null, exitCode: null, signal: null, lastError: null, ...over }) as JobDto;
const line = (seq: number, stream: 'stdout' | 'stderr', text: string, partial?: boolean): LogLineDto => ({ seq, stream, ts: 0, text, partial });

describe('extension formatting', function () {
  it('describes a finished job as runtime · target · duration · exit code', function () {
    assert.equal(jobDescription(job({ durationMs: 1234, exitCode: 0 }), 0), 'python · local · 1.2 s · exit 0');
    assert.equal(jobDescription(job({ status: 'cancelled', durationMs: 425, signal: 'SIGTERM' }), 0), 'python · local · 425 ms · SIGTERM');
  });

  it('shows the running time of a job that has not finished', function () {
    const running = job({ status: 'running', startedAt: '2026-01-01T00:00:00.000Z' });
    assert.equal(jobDescription(running, Date.parse('2026-01-01T00:01:05.000Z')), 'python · local · 1 m 05 s');
  });

  it('formats durations from milliseconds to hours', function () {
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(12_340), '12.3 s');
    assert.equal(formatDuration(7_380_000), '2 h 03 m');
  });

  it('gives every status an icon and a theme colour', function () {
    for (const status of JOB_STATUSES) assert.ok(statusLook(status).icon.length > 0, status);
    assert.deepEqual(statusLook('succeeded'), { icon: 'pass', color: 'testing.iconPassed' });
    assert.equal(statusLook('failed').icon, 'error');
  });

  it('says how a job ended, with the exit code of a failure', function () {
    assert.equal(jobOutcome(job({ status: 'failed', exitCode: 3, durationMs: 5 })), 'hello.py failed with exit code 3 in 5 ms');
    assert.equal(jobOutcome(job({ status: 'succeeded', durationMs: 200 })), 'hello.py succeeded in 200 ms');
  });

  it('marks stderr lines and continues partial lines without a second mark', function () {
    const first = renderLines([line(1, 'stdout', 'out'), line(2, 'stderr', 'err '), ], true);
    assert.equal(first.text, 'out\n[stderr] err \n');
    const cut = renderLines([line(3, 'stderr', 'par', true)], true);
    assert.deepEqual(cut, { text: '[stderr] par', atLineStart: false });
    assert.equal(renderLines([line(4, 'stderr', 'tial')], cut.atLineStart).text, 'tial\n');
  });

  it('maps editor languages to runtimes and refuses others', function () {
    assert.equal(runtimeForLanguage('shellscript'), 'bash');
    assert.equal(runtimeForLanguage('python'), 'python');
    assert.equal(runtimeForLanguage('javascript'), 'node');
    assert.equal(runtimeForLanguage('typescript'), undefined);
  });

  it('sorts jobs newest first', function () {
    const sorted = sortJobs([job({ id: 'a', createdAt: '2026-01-01T00:00:01Z' }), job({ id: 'b', createdAt: '2026-01-01T00:00:02Z' })]);
    assert.deepEqual(sorted.map((j) => j.id), ['b', 'a']);
  });

  it('puts daemon state and running jobs in the status bar, with a spinner while any run', function () {
    assert.equal(statusBarText('connected', 0), '$(pass) Cronium');
    assert.equal(statusBarText('connected', 2), '$(sync~spin) Cronium: 2 running');
    assert.equal(statusBarText('reconnecting', 0), '$(circle-slash) Cronium: not running');
  });

  it('never shows the value of a secret variable', function () {
    const base = { key: 'k', description: null, updatedAt: '' };
    assert.equal(variableDescription({ ...base, value: '***', secret: true }), '••••••');
    assert.equal(variableDescription({ ...base, value: { a: 1 }, secret: false }), '{"a":1}');
  });

  it('accepts Node 20 and explains why an older or foreign binary is refused', function () {
    assert.equal(parseNodeMajor('v20.19.2\n'), 20);
    assert.equal(parseNodeMajor('Python 3.11'), undefined);
    assert.match(describeNodeProblem('node', 'v18.1.0'), /Node.js v18.1.0; Cronium needs 20 or newer/);
    assert.match(describeNodeProblem('/opt/x', undefined), /could not be run/);
  });
});
