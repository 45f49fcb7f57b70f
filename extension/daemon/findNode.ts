import { execFile } from 'node:child_process';
import { describeNodeProblem, MIN_NODE_MAJOR, parseNodeMajor } from './nodeVersion';

/** No usable Node.js ≥ 20 was found; the extension host's own runtime cannot load better-sqlite3. */
export class NodeNotFoundError extends Error {
  constructor(readonly reasons: string[]) {
    super(`Cronium needs Node.js ${MIN_NODE_MAJOR} or newer to run its daemon: ${reasons.join('; ')}. Set cronium.daemon.nodePath.`);
    this.name = 'NodeNotFoundError';
  }

  static is(e: unknown): e is NodeNotFoundError {
    return e instanceof NodeNotFoundError;
  }
}

/** Returns the first of `configured` or `node` (on PATH) that is Node.js ≥ 20. */
export async function findNode(configured: string | undefined): Promise<string> {
  const candidates = configured ? [configured] : ['node'];
  const reasons: string[] = [];
  for (const command of candidates) {
    const output = await versionOf(command);
    const major = output === undefined ? undefined : parseNodeMajor(output);
    if (major !== undefined && major >= MIN_NODE_MAJOR) return command;
    reasons.push(describeNodeProblem(command, output));
  }
  throw new NodeNotFoundError(reasons);
}

function versionOf(command: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, ['-v'], { timeout: 5000 }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}
