import type { LogStream, Runtime } from '../protocol/dto';

/** Execution targets an executor can serve. */
export type ExecutorKind = 'local' | 'container' | 'ssh';

/**
 * What a job asked of its target, as the request carries it (`jobs/run`: `network`, `limits`, `image`).
 * Each executor reads what concerns it and fills in its own defaults ({@link TargetOptionsSpec}).
 */
export interface TargetOptionsInput {
  network?: boolean;
  limits?: { memoryMb?: number; cpus?: number; pids?: number };
  image?: string;
  [key: string]: unknown;
}

/**
 * An executor's own options: how it builds them from a request (its defaults live there, once) and how
 * it reads them back from the store. The queue and the store keep them as opaque JSON.
 */
export interface TargetOptionsSpec<T = unknown> {
  resolve(input: TargetOptionsInput): T;
  /** Validates options read back from the store; throws when they are not this executor's. */
  parse(stored: unknown): T;
}

/** What to run. The executor knows nothing of queues, stores or clients. */
export interface ExecutionSpec {
  /** Identifies the execution to the executor: file names, labels, recovery. */
  executionId: string;
  jobId: string;
  runtime: Runtime;
  script: string;
  /** Original file name, for the extension of the private copy (`.mjs` stays ESM). */
  scriptName: string | null;
  /**
   * The job's own environment, including CRONIUM_JOB_ID, CRONIUM_EXECUTION_ID, CRONIUM_EVENT_ID and
   * CRONIUM_EXECUTION_TOKEN. Each executor adds CRONIUM_RUNTIME_API, the URL that reaches the runtime
   * API from where the job runs. The local executor also inherits the daemon's environment.
   */
  env: Record<string, string>;
  cwd: string;
  /** What {@link TargetOptionsSpec.resolve} of this executor made at claim time (null when it has none). */
  options: unknown;
  /** The server of an SSH execution (its id); null for the other targets. */
  serverId?: string | null;
  /** Keep stdin open for {@link Execution.writeStdin}; local jobs also get a pseudo-terminal of this size. */
  interactive?: { columns: number; rows: number };
}

export interface ExecutionHooks {
  /**
   * The process exists. `handle` is the executor's own JSON (local: pid and start time; container: its
   * id) that a restarted daemon hands back in {@link LostExecution.handle}; clients see it too.
   */
  onStarted(handle: Record<string, unknown>): void;
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
  /**
   * Interactive executions only: writes to the job's stdin, then closes it when `eof`. Returns false
   * when stdin is closed (or the process is gone) and nothing was written.
   */
  writeStdin?(data: Buffer | string, eof?: boolean): boolean;
  /**
   * Interactive executions only: sets the terminal's size; the program gets SIGWINCH. Returns false
   * when there is no terminal (any more).
   */
  resize?(size: { columns: number; rows: number }): boolean;
}

/** An execution the previous daemon recorded as claimed or running on this executor's target. */
export interface LostExecution {
  executionId: string;
  jobId: string;
  /** What the executor gave to `onStarted`, or null when the daemon stopped before it started. */
  handle: unknown;
  /** Bytes of each stream already stored as lines: re-adopted output resumes after them. */
  storedBytes: { stdout: number; stderr: number };
}

/** What became of a {@link LostExecution} after a daemon restart. */
export type RecoveredExecution =
  /** Still running: its output flows into the hooks again (after the stored bytes), until `done`. */
  | { executionId: string; state: 'adopted'; execution: Execution }
  /** Exited while the daemon was down: its remaining output went to the hooks; this is how it ended. */
  | { executionId: string; state: 'exited'; result: ExecutionResult }
  /** Nothing left of it. */
  | { executionId: string; state: 'gone' };

/** The one contract of local, container and SSH executors; they register by kind. */
export interface Executor {
  readonly kind: ExecutorKind;
  /** Whether this target can take jobs now, and if not, why (shown to the user). */
  available(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** This target's own options, if it has any (container limits): their defaults and schema. */
  readonly options?: TargetOptionsSpec;
  start(spec: ExecutionSpec, hooks: ExecutionHooks): Execution;
  /**
   * Called once at daemon start with the jobs of this target that were claimed or running when the
   * previous daemon stopped; also removes whatever else that daemon left behind (orphans).
   */
  recover?(lost: LostExecution[], hooksFor: (executionId: string) => ExecutionHooks): Promise<RecoveredExecution[]>;
  /** At daemon shutdown, after the jobs ended: releases what the executor keeps (warm containers). */
  close?(): Promise<void>;
  /** The daemon settings changed: let go of what they no longer allow (warm containers turned off). */
  settingsChanged?(): void;
}
