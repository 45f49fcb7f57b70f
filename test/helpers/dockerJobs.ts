import assert from 'node:assert/strict';
// Helpers for the container executor's integration tests: a real engine, a fake runtime API handler
// that records what reached it, and hooks that collect a job's output and let a test await it.
import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import { ContainerExecutor, defaultImages, type ImageFor } from '../../daemon/executors/container/containerExecutor';
import { dockerFromEnv } from '../../daemon/executors/container/dockerHost';
import type { ExecutionHooks, ExecutionResult, ExecutionSpec, Execution } from '../../daemon/executors/executor';
import type { LogStream } from '../../daemon/protocol/dto';
import type { RuntimeRequest, RuntimeRequestHandler, RuntimeResponse } from '../../daemon/runtimeApi/types';

/** A daemon id of its own per suite, so suites (and engineers' runs) never see each other's containers. */
export function testDaemonId(): string {
  return `test-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function testJobId(): string {
  return `job_${randomBytes(6).toString('hex')}`;
}

/** Answers every runtime API request with `{path, method}` as JSON, and keeps the requests. */
export class FakeRuntimeApi {
  readonly requests: RuntimeRequest[] = [];
  answer: (request: RuntimeRequest) => RuntimeResponse | Promise<RuntimeResponse> = (request) => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fake: true, method: request.method, path: request.path }),
  });

  readonly handler: RuntimeRequestHandler = async (request) => {
    this.requests.push(request);
    return this.answer(request);
  };
}

/** Collects a job's output per stream; `waitFor` resolves once a stream contains a text. */
export class OutputRecorder {
  readonly chunks: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  containerId: string | undefined;
  /** Pending checks; each returns true once satisfied (and is then dropped). */
  private waiters: Array<() => boolean> = [];

  readonly hooks: ExecutionHooks = {
    onStarted: (handle) => {
      this.containerId = typeof handle.containerId === 'string' ? handle.containerId : undefined;
      this.wake();
    },
    onOutput: (stream, chunk) => {
      this.chunks[stream].push(Buffer.from(chunk));
      this.wake();
    },
  };

  bytes(stream: LogStream): Buffer {
    return Buffer.concat(this.chunks[stream]);
  }

  text(stream: LogStream): string {
    return this.bytes(stream).toString('utf8');
  }

  /** Resolves when `check` holds; re-checked on every hook call, never by polling. */
  until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      const test = () => {
        if (!check()) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      if (!test()) this.waiters.push(test);
    });
  }

  started(): Promise<string> {
    return this.until('the container to start', () => this.containerId !== undefined).then(() => this.containerId as string);
  }

  output(stream: LogStream, text: string): Promise<void> {
    return this.until(`"${text}" on ${stream}`, () => this.text(stream).includes(text));
  }

  private wake(): void {
    this.waiters = this.waiters.filter((test) => !test());
  }
}

/** An executor on the real engine, with its own daemon id and a fake runtime API. */
export function makeExecutor(options: { daemonId?: string; api?: FakeRuntimeApi; images?: ImageFor; docker?: Dockerode } = {}) {
  const daemonId = options.daemonId ?? testDaemonId();
  const api = options.api ?? new FakeRuntimeApi();
  const docker = options.docker ?? dockerFromEnv();
  const executor = new ContainerExecutor({ docker, images: options.images ?? defaultImages(), runtimeApi: api.handler, daemonId });
  return { executor, api, docker, daemonId };
}

/** A bash job spec with the env a daemon would give it. */
export function bashSpec(script: string, extra: Partial<ExecutionSpec> = {}): ExecutionSpec {
  const jobId = extra.jobId ?? testJobId();
  return {
    // The executor knows an execution by this id; these tests give it the job's.
    executionId: jobId,
    jobId,
    options: null,
    runtime: 'bash',
    script,
    scriptName: null,
    env: {
      CRONIUM_JOB_ID: jobId,
      CRONIUM_EXECUTION_ID: `exec_${jobId.slice(4)}`,
      CRONIUM_EVENT_ID: 'evt_test',
      CRONIUM_EXECUTION_TOKEN: `token-for-${jobId}`,
    },
    cwd: '/tmp',
    ...extra,
  };
}

/** Starts a job and collects its output until `done`. */
export async function runJob(
  executor: ContainerExecutor,
  spec: ExecutionSpec,
): Promise<{ result: ExecutionResult; out: OutputRecorder; execution: Execution }> {
  const out = new OutputRecorder();
  const execution = executor.start(spec, out.hooks);
  const result = await execution.done;
  return { result, out, execution };
}

/** Containers (any state) and networks that carry `label` (`key=value`). */
export async function resourcesLabelled(docker: Dockerode, label: string): Promise<{ containers: string[]; networks: string[] }> {
  const filters = { label: [label] };
  const [containers, networks] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listNetworks({ filters })]);
  return { containers: containers.map((c) => c.Id), networks: networks.map((n) => n.Id) };
}

/**
 * Waits until nothing carries `label`: a job's sidecar and network are removed in the background after
 * its `done`, so "nothing left behind" is checked once that work had its chance (up to `timeoutMs`).
 */
export async function assertNoneLabelled(docker: Dockerode, label: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await resourcesLabelled(docker, label);
    if (left.containers.length + left.networks.length === 0) return;
    if (Date.now() > deadline) assert.deepEqual(left, { containers: [], networks: [] }, `left behind with ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Removes whatever a test left with this daemon id (after a failed assertion). */
export async function removeLabelled(docker: Dockerode, label: string): Promise<void> {
  const { containers, networks } = await resourcesLabelled(docker, label);
  await Promise.all(containers.map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
  await Promise.all(networks.map((id) => docker.getNetwork(id).remove().catch(() => undefined)));
}
