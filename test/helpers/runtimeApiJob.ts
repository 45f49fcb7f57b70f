import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { followJob } from '../../daemon/cli/followJob';
import type { JobDto } from '../../daemon/protocol/dto';
import { RunJobRequest } from '../../daemon/protocol/jobs';
import { waitFor } from './wait';

/** What a job saw of the runtime API: where it is, and the job's own token and execution id. */
export interface ApiAccess {
  url: string;
  token: string;
  executionId: string;
}

/** A local Bash job that saved its {@link ApiAccess} to a file and waits until it is released. */
export interface HeldApiJob {
  access: ApiAccess;
  jobId: string;
  /** `$ACCESS_FILE`: `options.then` may write next to it (`"$ACCESS_FILE.out"`). */
  accessFile: string;
  /** Lets the job end and resolves with its final record. */
  release(): Promise<JobDto>;
}

let nextFile = 1;

export interface ApiJobOptions {
  /** Bash to run after the access file is written and before waiting for the release. */
  then?: string;
  input?: unknown;
}

/**
 * Starts a local Bash job that writes its CRONIUM_RUNTIME_API, token and execution id to
 * `$ACCESS_FILE` in `dir` (then runs `options.then`), and waits for a release file before it exits.
 */
export async function startHeldApiJob(client: DaemonClient, dir: string, options: ApiJobOptions = {}): Promise<HeldApiJob> {
  const n = nextFile++;
  const accessFile = join(dir, `api-access-${n}`);
  const releaseFile = join(dir, `api-release-${n}`);
  const script = [
    'printf \'%s\\n\' "$CRONIUM_RUNTIME_API" "$CRONIUM_EXECUTION_TOKEN" "$CRONIUM_EXECUTION_ID" >"$ACCESS_FILE.tmp"',
    'mv "$ACCESS_FILE.tmp" "$ACCESS_FILE"',
    options.then ?? '',
    'while [ ! -e "$RELEASE_FILE" ]; do sleep 0.05; done',
  ].join('\n');
  const { job } = await client.connection.sendRequest(RunJobRequest, {
    content: script,
    runtime: 'bash',
    target: 'local',
    timeoutMs: 120_000,
    env: { ACCESS_FILE: accessFile, RELEASE_FILE: releaseFile },
    input: options.input,
  });
  const ended = followJob(client, job.id, () => undefined);
  ended.catch(() => undefined);
  await waitFor('the job to save its runtime API access', () => existsSync(accessFile), 20_000);
  return {
    access: readAccess(accessFile),
    jobId: job.id,
    accessFile,
    release: async () => {
      writeFileSync(releaseFile, '');
      return ended;
    },
  };
}

/** Runs a job that saves its {@link ApiAccess} and ends; resolves once it has ended. */
export async function runEndedApiJob(
  client: DaemonClient,
  dir: string,
  options: ApiJobOptions = {},
): Promise<{ access: ApiAccess; accessFile: string; job: JobDto }> {
  const held = await startHeldApiJob(client, dir, options);
  return { access: held.access, accessFile: held.accessFile, job: await held.release() };
}

function readAccess(file: string): ApiAccess {
  const [url, token, executionId] = readFileSync(file, 'utf8').split('\n');
  return { url, token, executionId };
}
