import { spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import { Duplex } from 'node:stream';

/** An engine reached as `ssh://[user@]host[:port]`, and the ssh command to reach it with. */
export interface SshTarget {
  host: string;
  port?: number;
  user?: string;
  /** A shell command line for ssh, like GIT_SSH_COMMAND (`CRONIUM_SSH_COMMAND`); default `ssh`. */
  sshCommand: string;
}

/** ssh could not give us the engine: how it ended and what it printed, for the message the user sees. */
export class SshDialError extends Error {
  constructor(
    readonly target: SshTarget,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(`ssh to ${target.host} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${lastLine(stderr) || 'no message'}`);
    this.name = 'SshDialError';
  }
}

/**
 * HTTP connections to a Docker engine through the user's own ssh, as the docker CLI makes them: one
 * `ssh … -- host docker system dial-stdio` per connection, so ~/.ssh/config (aliases, keys, ProxyJump),
 * ssh-agent and known_hosts apply exactly as for `ssh` and `docker`. BatchMode: nothing prompts; an
 * unknown or changed host key fails the connection.
 */
export class SshDialAgent extends Agent {
  /** The ssh processes of open connections, ended by destroy(). */
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly target: SshTarget) {
    super({ keepAlive: false });
  }

  /** Ends every connection's ssh (at daemon shutdown: none may outlive the daemon). */
  override destroy(): void {
    for (const child of this.children) child.kill();
    this.children.clear();
    super.destroy();
  }

  /** http.request calls this for each connection; a Duplex stands in for the socket. */
  override createConnection(): Duplex {
    const { host, port, user, sshCommand } = this.target;
    const args = ['-o', 'BatchMode=yes', ...(user ? ['-l', user] : []), ...(port ? ['-p', String(port)] : []), '--', host];
    // exec: the shell becomes ssh, so closing the connection (a kill) reaches ssh itself.
    const child = spawn('sh', ['-c', `exec ${sshCommand} "$@" docker system dial-stdio`, 'ssh', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    let stderr = '';
    let answered = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8192)));
    const connection = new Duplex({
      read: () => child.stdout.resume(),
      write: (chunk: Buffer, _encoding, callback) => {
        if (child.stdin.writable) child.stdin.write(chunk, callback);
        else callback();
      },
      final: (callback) => {
        child.stdin.end();
        callback();
      },
      destroy: (error, callback) => {
        if (child.exitCode === null) child.kill();
        callback(error);
      },
    });
    child.stdout.on('data', (chunk: Buffer) => {
      answered = true;
      if (!connection.push(chunk)) child.stdout.pause();
    });
    child.stdin.on('error', () => undefined); // ssh gone: its exit says why
    child.on('error', (e) => connection.destroy(new SshDialError(this.target, `cannot run ${sshCommand}: ${e.message}`, null)));
    // The connection ends once ssh has exited, not at the end of its output: a failure before the engine
    // said anything is ssh's (or the remote docker's), and the request must fail with ssh's reason.
    child.on('close', (code) => {
      this.children.delete(child);
      if (code !== 0 && !answered) connection.destroy(new SshDialError(this.target, stderr, code));
      else connection.push(null);
    });
    // What http.ClientRequest may ask of a socket.
    return Object.assign(connection, {
      setNoDelay: () => connection,
      setKeepAlive: () => connection,
      setTimeout: () => connection,
      ref: () => connection,
      unref: () => connection,
    });
  }
}

/** What to tell the user about an ssh failure: the cause in ssh's words, and what to do. */
export function sshAdvice(error: SshDialError): string {
  const { host, port, user } = error.target;
  const login = `ssh ${port ? `-p ${port} ` : ''}${user ? `${user}@` : ''}${host}`;
  const said = error.stderr;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(said)) {
    return `the host key of ${host} is not the one in known_hosts: it was replaced, or someone is intercepting the connection — check it, then update known_hosts (ssh-keygen -R)`;
  }
  if (/Host key verification failed/.test(said)) {
    return `the host key of ${host} is not in known_hosts — connect once with \`${login}\` to check it and add it`;
  }
  if (/Permission denied/.test(said)) {
    return `ssh could not log in (${lastLine(said)}) — add your key to ssh-agent, or set it up in ~/.ssh/config for ${host}`;
  }
  if (/docker: (command )?not found|docker: No such file/.test(said)) return `the docker CLI is not installed on ${host} (ssh runs \`docker system dial-stdio\` there)`;
  return lastLine(said) || `ssh exited with ${error.exitCode ?? 'an error'}`;
}

function lastLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .pop() ?? ''
  );
}
