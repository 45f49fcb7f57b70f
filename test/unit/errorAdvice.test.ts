import assert from 'node:assert/strict';
import { ResponseError } from 'vscode-jsonrpc';
import { cliErrorReport, hintAdvice as cliHintAdvice } from '../../daemon/cli/advice';
import {
  DaemonDidNotStopError,
  DaemonNotRunningError,
  DaemonStartError,
  DaemonUnresponsiveError,
  ProtocolMismatchError,
} from '../../daemon/client/errors';
import { ERROR_HINT_ACTIONS, ErrorCodes, type ErrorHint } from '../../daemon/protocol/errors';
import { NodeNotFoundError } from '../../extension/daemon/findNode';
import { hintAdvice as extensionHintAdvice, shownError } from '../../extension/errorAdvice';

const noJob = new ResponseError(ErrorCodes.JobNotFound, 'No job job_x', { kind: 'job_not_found', jobId: 'job_x', hint: { action: 'list_jobs' } });
const noRuntime = new ResponseError(ErrorCodes.RuntimeUnavailable, 'Cannot tell the runtime of x from its file name or its first line', {
  kind: 'runtime_unavailable',
  hint: { action: 'name_runtime', runtimes: ['bash', 'python', 'node'] },
});
const noDocker = new ResponseError(ErrorCodes.TargetUnavailable, 'Docker is not reachable at /d.sock', {
  kind: 'target_unavailable',
  target: 'container',
  hint: { action: 'choose_target', targets: ['local'] },
});
const HINTS: ErrorHint[] = [
  { action: 'list_jobs' },
  { action: 'list_variables' },
  { action: 'name_runtime', runtimes: ['bash', 'python', 'node'] },
  { action: 'choose_target', targets: ['local'] },
  { action: 'restart_daemon' },
  { action: 'run_interactive' },
  { action: 'list_servers' },
  { action: 'trust_server', server: 'box', fingerprint: 'SHA256:x' },
];

describe('CLI advice for daemon errors', function () {
  it('adds a command to type to the daemon message', function () {
    assert.deepEqual(cliErrorReport(noJob), { text: 'No job job_x — list jobs with `cronium jobs`', exitCode: 1 });
    const variable = new ResponseError(ErrorCodes.VariableNotFound, 'No variable k', { kind: 'variable_not_found', hint: { action: 'list_variables' } });
    assert.equal(cliErrorReport(variable).text, 'No variable k — list them with `cronium vars list`');
  });

  it('exits 2 for an unknown runtime and names the --runtime values', function () {
    assert.deepEqual(cliErrorReport(noRuntime), {
      text: 'Cannot tell the runtime of x from its file name or its first line — pass --runtime bash|python|node or start it with a shebang',
      exitCode: 2,
    });
  });

  it('offers the other targets as --target values', function () {
    assert.equal(cliErrorReport(noDocker).text, 'Docker is not reachable at /d.sock — use --target local instead');
  });

  it('prints a daemon message with no hint as it is', function () {
    const internal = new ResponseError(ErrorCodes.Internal, 'Internal daemon error in jobs/run: boom', { kind: 'internal' });
    assert.deepEqual(cliErrorReport(internal), { text: 'Internal daemon error in jobs/run: boom', exitCode: 1 });
  });

  it('ignores a hint it does not know, from a newer daemon', function () {
    const newer = new ResponseError(ErrorCodes.JobNotFound, 'No job job_x', { kind: 'job_not_found', hint: { action: 'teleport' } });
    assert.equal(cliErrorReport(newer).text, 'No job job_x');
  });

  it('says what to type for each connection error', function () {
    assert.equal(
      cliErrorReport(new DaemonNotRunningError('/h')).text,
      'The Cronium daemon is not running (home /h) — start it with `cronium daemon start`',
    );
    assert.equal(
      cliErrorReport(new DaemonUnresponsiveError({ home: '/h', waitedMs: 30_000, method: 'jobs/list', state: 'recovering' })).text,
      'The Cronium daemon (home /h) did not answer jobs/list within 30 s: it is recovering jobs that were running when it last stopped ' +
        '(a Docker engine slow to answer holds this up) — wait for it, or see `cronium daemon status` and /h/logs/daemon.log',
    );
    assert.equal(
      cliErrorReport(new DaemonUnresponsiveError({ home: '/h', waitedMs: 10_000 })).text,
      'The Cronium daemon (home /h) did not answer within 10 s — see `cronium daemon status` and /h/logs/daemon.log',
    );
    assert.match(cliErrorReport(new ProtocolMismatchError('/h', 2, 1)).text, /speaks protocol 2, this client protocol 1 — stop it with `cronium daemon stop`/);
    assert.match(cliErrorReport(new DaemonStartError('The Cronium daemon exited while starting (code 7): x', '/h', 'x')).text, /— see \/h\/logs\/daemon\.log$/);
    assert.match(cliErrorReport(new DaemonDidNotStopError(42, 30_000)).text, /did not stop within 30 s — kill it with `kill 42`$/);
  });

  it('has advice for every hint', function () {
    assert.deepEqual(HINTS.map((h) => h.action), [...ERROR_HINT_ACTIONS]);
    for (const hint of HINTS) assert.ok(cliHintAdvice(hint).length > 0, hint.action);
  });
});

describe('extension advice for daemon errors', function () {
  it('turns a hint into a button instead of CLI syntax', function () {
    assert.deepEqual(shownError(noJob), {
      severity: 'error',
      message: 'Cronium: No job job_x',
      actions: [{ title: 'Show Jobs', command: 'cronium.jobs.focus' }],
    });
  });

  it('offers the Docker setting and another target when the container target is unavailable', function () {
    const shown = shownError(noDocker);
    assert.equal(shown.message, 'Cronium: Docker is not reachable at /d.sock');
    assert.deepEqual(
      shown.actions.map((a) => [a.title, a.command, a.args]),
      [
        ['Docker Settings', 'workbench.action.openSettings', ['cronium.docker.host']],
        ['Run on…', 'cronium.jobs.runCurrentScriptOn', undefined],
      ],
    );
  });

  it('says how to give a script its runtime in the editor', function () {
    assert.equal(
      shownError(noRuntime).message,
      'Cronium: Cannot tell the runtime of x from its file name or its first line. Save it as .sh, .py or .js, pick its language, or give it a shebang line',
    );
  });

  it('offers Start Daemon, and a retry, when the daemon is not running', function () {
    assert.deepEqual(shownError(new DaemonNotRunningError('/h')), {
      severity: 'warning',
      message: 'The Cronium daemon is not running.',
      actions: [{ title: 'Start Daemon', command: 'cronium.daemon.start', retry: true }],
    });
  });

  it('asks to wait for a daemon that is recovering, and to restart one that hangs', function () {
    const recovering = shownError(new DaemonUnresponsiveError({ home: '/h', waitedMs: 30_000, method: 'jobs/run', state: 'recovering' }));
    assert.equal(recovering.severity, 'warning');
    assert.match(recovering.message, /it is recovering jobs .*\. Try again in a minute\.$/);
    assert.deepEqual(recovering.actions.map((a) => a.title), ['Show Daemon Log']);
    const hung = shownError(new DaemonUnresponsiveError({ home: '/h', waitedMs: 10_000 }));
    assert.deepEqual(hung.actions.map((a) => a.title), ['Show Daemon Log', 'Restart Daemon']);
  });

  it('offers a restart for another protocol version and the Node setting when no Node.js fits', function () {
    assert.deepEqual(shownError(new ProtocolMismatchError('/h', 2, 1)).actions.map((a) => a.command), ['cronium.daemon.restart']);
    assert.deepEqual(shownError(new NodeNotFoundError(['node could not be run'])).actions[0].args, ['cronium.daemon.nodePath']);
  });

  it('never shows CLI syntax, whatever the hint', function () {
    for (const hint of HINTS) {
      const advice = extensionHintAdvice(hint, 'container');
      assert.doesNotMatch(`${advice.text ?? ''} ${advice.actions.map((a) => a.title).join(' ')}`, /cronium [a-z]|`|--[a-z]/, hint.action);
    }
  });
});
