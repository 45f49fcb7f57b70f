import assert from 'node:assert/strict';
import { jobExitCode, parseDuration, parseEnvPairs, table, UsageError } from '../../daemon/cli/format';
import type { JobDto } from '../../daemon/protocol/dto';

const job = (over: Partial<JobDto>): JobDto => ({ status: 'failed', exitCode: null, signal: null, ...over }) as JobDto;

describe('CLI formatting and parsing', function () {
  it('parses durations with units, plain numbers as seconds', function () {
    assert.equal(parseDuration('30s', '--timeout'), 30_000);
    assert.equal(parseDuration('5m', '--timeout'), 300_000);
    assert.equal(parseDuration('1.5h', '--timeout'), 5_400_000);
    assert.equal(parseDuration('250ms', '--timeout'), 250);
    assert.equal(parseDuration('2', '--timeout'), 2000);
    assert.throws(() => parseDuration('soon', '--timeout'), UsageError);
    assert.throws(() => parseDuration('0s', '--timeout'), /more than 0/);
  });

  it('parses KEY=VALUE pairs, keeping = inside values', function () {
    assert.deepEqual(parseEnvPairs(['A=1', 'B=x=y', 'C=']), { A: '1', B: 'x=y', C: '' });
    assert.throws(() => parseEnvPairs(['=1']), /KEY=VALUE/);
  });

  it("takes the value of a bare KEY from the caller's environment, and refuses one that is not set there", function () {
    assert.deepEqual(parseEnvPairs(['TOKEN', 'EMPTY', 'X=1'], { TOKEN: 't0k', EMPTY: '' }), { TOKEN: 't0k', EMPTY: '', X: '1' });
    assert.throws(() => parseEnvPairs(['MISSING'], {}), /-e MISSING: MISSING is not set in this environment; use -e MISSING=VALUE/);
  });

  it("maps a job's end to the exit code of cronium run", function () {
    assert.equal(jobExitCode(job({ status: 'succeeded', exitCode: 0 })), 0);
    assert.equal(jobExitCode(job({ exitCode: 3 })), 3);
    assert.equal(jobExitCode(job({ status: 'timed_out' })), 124);
    assert.equal(jobExitCode(job({ status: 'cancelled' })), 130);
    assert.equal(jobExitCode(job({ signal: 'SIGKILL' })), 137);
    assert.equal(jobExitCode(job({})), 1);
  });

  it('aligns table columns', function () {
    assert.equal(table(['A', 'BB'], [['xyz', '1']]), 'A    BB\nxyz  1');
  });
});
