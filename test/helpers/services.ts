import { request } from 'node:http';

/** Under CRONIUM_TEST_STRICT=1 (set by .ci/run) a missing service fails the suite instead of skipping it. */
export const STRICT = process.env.CRONIUM_TEST_STRICT === '1';

/**
 * Skips the current suite with a printed reason when `problem` is set, or fails it in strict mode.
 * Call from a `before` hook: `requireService(this, 'Docker', await dockerProblem())`.
 */
export function requireService(context: Mocha.Context, service: string, problem: string | undefined): void {
  if (problem === undefined) return;
  if (STRICT) throw new Error(`${service} is required (CRONIUM_TEST_STRICT=1): ${problem}`);
  process.stdout.write(`      skipped: ${service} is not available (${problem})\n`);
  context.skip();
}

export function dockerSocketPath(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

/** GETs a Docker Engine API path over the engine's unix socket. */
export function dockerGet(path: string): Promise<{ status: number; body: string }> {
  return dockerRequest('GET', path);
}

/** Calls the Docker Engine API over the engine's unix socket (no body). */
export function dockerRequest(method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: dockerSocketPath(), method, path, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Why the Docker engine cannot be used, or undefined when it answers. */
export async function dockerProblem(): Promise<string | undefined> {
  try {
    const ping = await dockerGet('/_ping');
    return ping.status === 200 ? undefined : `GET /_ping answered ${ping.status}`;
  } catch (e) {
    return `no engine at ${dockerSocketPath()} (${(e as Error).message}); start dockerd`;
  }
}
