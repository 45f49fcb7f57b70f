import type { LogStream, Runtime } from '../protocol/dto';

/** Execution targets an executor can serve. */
export type ExecutorKind = 'local' | 'container' | 'ssh';

/** What to run. The executor knows nothing of queues, stores or clients. */
export interface ExecutionSpec {
  jobId: string;
  runtime: Runtime;
  script: string;
  /** Original file name, for the extension of the private copy (`.mjs` stays ESM). */
  scriptName: string | null;
  env: Record<string, string>;
  cwd: string;
}

export interface ExecutionHooks {
  /** The process exists; `pid`/`pidStart` let a restarted daemon find it again. */
  onStarted(info: { pid: number | null; pidStart: string | null }): void;
  /** Raw output as it is read, in order per stream. */
  onOutput(stream: LogStream, chunk: Buffer): void;
}

/** How the process ended. `spawnError` is set when it never ran. */
export interface ExecutionResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

/** A started execution. */
export interface Execution {
  readonly done: Promise<ExecutionResult>;
  /** SIGTERM to everything the job started, SIGKILL after `graceMs` if anything is left. */
  stop(graceMs: number): void;
}

/** The one contract of local, container and SSH executors; they register by kind. */
export interface Executor {
  readonly kind: ExecutorKind;
  /** Whether this target can take jobs now, and if not, why (shown to the user). */
  available(): Promise<{ ok: true } | { ok: false; reason: string }>;
  start(spec: ExecutionSpec, hooks: ExecutionHooks): Execution;
}
