import type { Runtime } from '../../protocol/dto';
import { scriptExtension } from '../runtimes';

/**
 * What runs on the server, in POSIX sh only (nothing to install there but the interpreter; `tail --pid`
 * of GNU coreutils makes re-adoption stream live). One exec channel does it all: its command makes the
 * job's private folder and sources the setup script from the channel's stdin (`. /dev/stdin`): it
 * writes the job's files (script, helper, environment), starts the interpreter in a process group of its
 * own with stdin closed and its output teed to the channel and to `out`/`err`, writes its pid, waits,
 * and writes the exit code. The daemon removes the folder once it has the job's end ({@link removeCommand});
 * a daemon that died first leaves it, and the next one follows the files from where its log stopped
 * ({@link followCommand}) and removes the folder itself.
 */

/** The folder of one execution on the server. Execution ids are `exe_` and [a-z0-9]: nothing to quote. */
export function remoteDir(executionId: string): string {
  if (!/^exe_[a-z0-9]+$/.test(executionId)) throw new Error(`not an execution id: ${executionId}`);
  return `\${TMPDIR:-/tmp}/cronium-${executionId}`;
}

/**
 * The channel's command. sshd runs it with the user's login shell, which may not be a POSIX one (fish,
 * csh): everything goes inside one `sh -c '…'` with no single quote of its own. `mkdir` fails when the
 * folder exists, so a file planted there in advance (a symlink) is never written through.
 */
export function bootstrapCommand(executionId: string): string {
  const dir = remoteDir(executionId);
  // `. /dev/stdin` runs the setup in this very sh: no second shell to start.
  return `sh -c 'umask 077 && d="${dir}" && mkdir -m 700 "$d" && cd "$d" && . /dev/stdin'`;
}

/** Interactive runs: the first channel only writes the setup script (the second runs it in a pty). */
export function uploadCommand(executionId: string): string {
  const dir = remoteDir(executionId);
  return `sh -c 'umask 077 && d="${dir}" && mkdir -m 700 "$d" && cd "$d" && cat > setup.sh'`;
}

/** Interactive runs: the command of the pty channel, whose stdin, stdout and stderr are the terminal. */
export function interactiveCommand(executionId: string): string {
  return `sh -c 'cd "${remoteDir(executionId)}" && exec sh ./setup.sh'`;
}

/** A value as one sh word, exactly: single quotes keep everything verbatim (`$()`, newlines, `\`). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface RemoteJob {
  executionId: string;
  runtime: Runtime;
  script: string;
  scriptName: string | null;
  /** The job's environment (names are letters, digits and _: checked at the edge). */
  env: Record<string, string>;
  /** The helper library of the runtime (cronium.sh, .py or .js), which travels with the script. */
  helper: { name: string; content: string };
  /** The runtime's interpreter on the server. */
  interpreter: string;
}

/**
 * Writes `content` to `file` exactly, with the shell's own printf (no process per file): the content is
 * one single-quoted word, so nothing in it is expanded.
 */
function writeFile(file: string, content: string): string {
  return `printf '%s' ${shellQuote(content)} > ${file}\n`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The setup script of an interactive run: the job runs in the foreground of the channel's terminal (so
 * Ctrl-C, reads and resizes reach it), not in a group of its own, and its output is not kept in files
 * (an interactive run is not re-adopted after a restart).
 */
export function interactiveSetupScript(job: RemoteJob): string {
  const { files, command } = jobFiles(job);
  return [
    files,
    'D=$PWD',
    '(',
    '  . "$D/env.sh"',
    `  exec sh -c 'echo "$$" > "$1/pid"; shift; exec "$@"' sh "$D" ${command}`,
    ')',
    'code=$?',
    'cd / && rm -rf "$D"',
    'exit "$code"',
    '',
  ].join('\n');
}

/** The writes of the job's files (script, helper, environment) and the interpreter's command line. */
function jobFiles(job: RemoteJob): { files: string; command: string } {
  const scriptFile = `script${scriptExtension(job.runtime, job.scriptName)}`;
  const launch = launchOf(job.runtime, job.interpreter, scriptFile, job.helper.name);
  const exports =
    Object.entries(job.env)
      .map(([name, value]) => {
        if (!ENV_NAME.test(name)) throw new Error(`not an environment variable name: ${name}`);
        return `export ${name}=${shellQuote(value)}\n`;
      })
      .join('') + launch.exports.map((line) => `${line}\n`).join('');
  return {
    files: [writeFile(scriptFile, job.script), writeFile(job.helper.name, job.helper.content), writeFile('env.sh', exports)].join('\n'),
    command: launch.argv.join(' '),
  };
}

/** The setup script sent on the channel's stdin (see the module comment). */
export function setupScript(job: RemoteJob): string {
  const { files, command } = jobFiles(job);
  // One compound command: sh reads all of it before running any of it.
  return [
    '{',
    files,
    'D=$PWD',
    'echo "$$" > "$D/wrapper"',
    // Output goes through tee to the channel and to out/err: a restarted daemon reads on from the files.
    // tee ignores SIGPIPE (not the job): once the channel is gone it keeps writing the files.
    'mkfifo "$D/o" "$D/e" || exit 96',
    '( trap "" PIPE; exec tee -a "$D/out" ) < "$D/o" &',
    'to=$!',
    '( trap "" PIPE; exec tee -a "$D/err" ) < "$D/e" >&2 &',
    'te=$!',
    // The job leads a process group (and session) of its own, so a stop reaches everything it started.
    '(',
    '  . "$D/env.sh"',
    `  if command -v setsid >/dev/null 2>&1; then exec setsid ${command}; fi`,
    `  if command -v perl >/dev/null 2>&1; then exec perl -e 'setpgrp(0, 0); exec { $ARGV[0] } @ARGV or die "cannot run $ARGV[0]: $!\\n"' ${command}; fi`,
    `  exec ${command}`,
    ') </dev/null >"$D/o" 2>"$D/e" &',
    'pid=$!',
    'echo "$pid" > "$D/pid"',
    'wait "$pid"',
    'code=$?',
    // What the job left running in its group would hold its output open: ended, TERM then KILL.
    'if kill -TERM -"$pid" 2>/dev/null; then sleep 1; kill -KILL -"$pid" 2>/dev/null; fi',
    'wait "$to" "$te"',
    // The folder stays: the daemon removes it once it has recorded the end (removeCommand), and a
    // daemon that died before that reads the rest from it first.
    'echo "$code" > "$D/exit"',
    'exit "$code"',
    '}',
    '',
  ].join('\n');
}

/**
 * The interpreter's command line (sh words) and the exports the runtime needs, as helpers/README.md
 * says for local jobs, with the job's folder (`$D`) in place of the helpers' one.
 */
function launchOf(runtime: Runtime, interpreter: string, scriptFile: string, helper: string): { argv: string[]; exports: string[] } {
  const dir = '"$D"';
  switch (runtime) {
    case 'bash':
      return { argv: [shellQuote(interpreter), `${dir}/${scriptFile}`], exports: [`export BASH_ENV="$D/${helper}"`] };
    case 'python':
      return { argv: [shellQuote(interpreter), `${dir}/${helper}`, `${dir}/${scriptFile}`], exports: ['export PYTHONUNBUFFERED=1'] };
    case 'node':
      return {
        argv: [shellQuote(interpreter), '--require', `${dir}/${helper}`, `${dir}/${scriptFile}`],
        // require('cronium') finds cronium.js in the job's folder, before any NODE_PATH of the job's own.
        exports: ['export NODE_PATH="$D${NODE_PATH:+:$NODE_PATH}"'],
      };
  }
}

/**
 * Sends `signal` to the job's process group (its pid file names the leader), or to the leader alone when
 * it has no group of its own yet. Waits up to 5 s for the pid file: a stop may come while the job starts.
 * A job that ended (its folder is gone) is left alone.
 */
export function signalCommand(executionId: string, signal: 'TERM' | 'KILL'): string {
  const dir = remoteDir(executionId);
  return (
    `sh -c 'd="${dir}"; i=0; while [ -d "$d" ] && [ ! -s "$d/pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; ` +
    `p=$(cat "$d/pid" 2>/dev/null) || exit 0; kill -${signal} -"$p" 2>/dev/null || kill -${signal} "$p" 2>/dev/null; exit 0'`
  );
}

/**
 * Re-adoption after a daemon restart: prints `out` from byte `stdoutFrom` (0-based) on stdout and `err`
 * from `stderrFrom` on stderr, following them while the job's wrapper lives (GNU `tail --pid`; without it,
 * what is there once the wrapper ended), then removes the folder and exits with the job's exit code:
 * 200 when the folder is gone, 201 when the job's end was never written.
 */
export function followCommand(executionId: string, stdoutFrom: number, stderrFrom: number): string {
  const dir = remoteDir(executionId);
  const o = Math.max(0, Math.floor(stdoutFrom)) + 1;
  const e = Math.max(0, Math.floor(stderrFrom)) + 1;
  return (
    `sh -c 'd="${dir}"; [ -d "$d" ] || exit 200; w=$(cat "$d/wrapper" 2>/dev/null); ` +
    `if [ -n "$w" ] && tail --pid="$w" -c +1 /dev/null >/dev/null 2>&1; then ` +
    `tail -c +${o} -s 0.1 -f --pid="$w" "$d/out" & a=$!; tail -c +${e} -s 0.1 -f --pid="$w" "$d/err" >&2 & b=$!; wait "$a" "$b"; ` +
    `else while [ -n "$w" ] && kill -0 "$w" 2>/dev/null; do sleep 0.2; done; tail -c +${o} "$d/out"; tail -c +${e} "$d/err" >&2; fi; ` +
    `c=201; [ -s "$d/exit" ] && c=$(cat "$d/exit"); cd / && rm -rf "$d"; exit "$c"'`
  );
}

/** Removes the execution's folder (after the daemon recorded how the job ended). */
export function removeCommand(executionId: string): string {
  return `sh -c 'rm -rf "${remoteDir(executionId)}"'`;
}

/** Exit 0 when the execution's folder is still on the server (something to re-adopt), 1 when it is gone. */
export function existsCommand(executionId: string): string {
  return `sh -c '[ -d "${remoteDir(executionId)}" ]'`;
}
