import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { errnoCode } from '../errors';

/**
 * Runs interactive local jobs in a pseudo-terminal without a native module: util-linux `script`
 * allocates the pty, copies our stdin pipe to it and its output to our stdout pipe.
 */
export const PTY_PROGRAM = process.env.CRONIUM_SCRIPT ?? 'script';

/** Quotes one word for a POSIX shell: `script -c` hands its command line to `sh -c`. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Arguments and environment that run `command args…` inside `script`. `script` runs its command with
 * `$SHELL -c`, and a user's fish or zsh would read our quoting differently: it gets /bin/sh, and the
 * job's own SHELL is restored inside before the interpreter starts.
 */
export function ptyLaunch(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  size: { columns: number; rows: number },
  program = PTY_PROGRAM,
): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const restoreShell = env.SHELL === undefined ? 'unset SHELL' : `SHELL=${shellQuote(env.SHELL)}; export SHELL`;
  // stty fails quietly if the pty refuses a size; the job still runs at the default 80 × 24.
  const line = [
    `stty cols ${Math.trunc(size.columns)} rows ${Math.trunc(size.rows)} 2>/dev/null`,
    restoreShell,
    `exec ${[command, ...args].map(shellQuote).join(' ')}`,
  ].join('; ');
  return {
    command: program,
    // -q no banner, -f flush at once (prompts without newline must reach the user), -e child's exit code.
    args: ['-qfec', line, '/dev/null'],
    // The terminals that show these jobs (VS Code's xterm.js) speak xterm with 256 colours.
    env: { ...env, SHELL: '/bin/sh', TERM: 'xterm-256color' },
  };
}

/**
 * Sets the size of the pseudo-terminal that session `sid` runs on, as a terminal emulator would: the
 * kernel then sends SIGWINCH to the program in its foreground. Resolves false when the session or its
 * terminal is gone.
 */
export async function resizeSessionTerminal(sid: number, size: { columns: number; rows: number }): Promise<boolean> {
  const tty = controllingPts(sid);
  if (tty === undefined) return false;
  return new Promise((resolve) => {
    execFile('stty', ['-F', tty, 'cols', String(Math.trunc(size.columns)), 'rows', String(Math.trunc(size.rows))], { timeout: 5000 }, (error) =>
      resolve(error === null),
    );
  });
}

/**
 * The pseudo-terminal a process has as its controlling terminal (stat field tty_nr: Unix98 ptys have
 * majors 136–143), whatever it did with its own stdin.
 */
function controllingPts(pid: number): string | undefined {
  const ttyNr = Number(statFields(pid)?.[4]);
  if (!Number.isInteger(ttyNr) || ttyNr === 0) return undefined;
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major < 136 || major > 143) return undefined;
  return `/dev/pts/${(major - 136) * 256 + minor}`;
}

/** Fields of /proc/PID/stat after the command name: index 1 is the ppid, index 3 the session id. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/**
 * The session `script` made for the job. `script` forks the job into a session of its own (the pty is
 * its controlling terminal), so signals to our process group miss it: it is found as `script`'s child.
 */
export function ptySessionOf(scriptPid: number): number | undefined {
  for (const pid of allPids()) {
    const fields = statFields(pid);
    if (fields !== undefined && Number(fields[1]) === scriptPid && Number(fields[3]) === pid) return pid;
  }
  return undefined;
}

/**
 * Sends `signal` to every process of session `sid`, including those that left its process group or
 * were reparented after the leader died. Returns false when none is left.
 */
export function signalSession(sid: number, signal: NodeJS.Signals | 0): boolean {
  let found = false;
  for (const pid of allPids()) {
    const fields = statFields(pid);
    // Zombies (state Z) are dead already; signalling them would keep "found" true forever.
    if (fields === undefined || Number(fields[3]) !== sid || fields[0] === 'Z') continue;
    try {
      process.kill(pid, signal);
      found = true;
    } catch (e) {
      if (errnoCode(e) !== 'ESRCH') throw e;
    }
  }
  return found;
}
