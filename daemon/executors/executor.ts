import type { LogStream, Runtime } from '../protocol/dto';

/** Execution targets an executor can serve. */
export type ExecutorKind = 'local' | 'container' | 'ssh';

/** Limits and options of a container job (DESIGN §4); defaults 512 MiB, 0.5 CPU, 100 pids, no network. */
export interface ContainerOptions {
  /** Image override; default the runtime's image from settings / CRONIUM_IMAGE_<RUNTIME>. */
  image?: string;
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
  /** Allow egress. Off: the job network is internal. */
  network: boolean;
}

/** What to run. The executor knows nothing of queues, stores or clients. */
export interface ExecutionSpec {
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
  container?: ContainerOptions;
  /** Keep stdin open for {@link Execution.writeStdin}; local jobs also get a pseudo-terminal of this size. */
  interactive?: { columns: number; rows: number };
}

export interface ExecutionHooks {
  /** The process exists; `pid`/`pidStart` (or `containerId`) let a restarted daemon find it again. */
  onStarted(info: { pid: number | null; pidStart: string | null; containerId?: string }): void;
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

/** A job the previous daemon recorded as claimed or running on this executor's target. */
export interface LostExecution {
  jobId: string;
  containerId: string | null;
  /** Local jobs: the process (group leader) and its start time, to tell a reused pid apart. */
  pid: number | null;
  pidStart: string | null;
  /** Bytes of each stream already stored as lines: re-adopted output resumes after them. */
  storedBytes: { stdout: number; stderr: number };
}

/** What became of a {@link LostExecution} after a daemon restart. */
export type RecoveredExecution =
  /** Still running: its output flows into the hooks again (after the stored bytes), until `done`. */
  | { jobId: string; state: 'adopted'; execution: Execution }
  /** Exited while the daemon was down: its remaining output went to the hooks; this is how it ended. */
  | { jobId: string; state: 'exited'; result: ExecutionResult }
  /** Nothing left of it. */
  | { jobId: string; state: 'gone' };

/** The one contract of local, container and SSH executors; they register by kind. */
export interface Executor {
  readonly kind: ExecutorKind;
  /** Whether this target can take jobs now, and if not, why (shown to the user). */
  available(): Promise<{ ok: true } | { ok: false; reason: string }>;
  start(spec: ExecutionSpec, hooks: ExecutionHooks): Execution;
  /**
   * Called once at daemon start with the jobs of this target that were claimed or running when the
   * previous daemon stopped; also removes whatever else that daemon left behind (orphans).
   */
  recover?(lost: LostExecution[], hooksFor: (jobId: string) => ExecutionHooks): Promise<RecoveredExecution[]>;
  /** At daemon shutdown, after the jobs ended: releases what the executor keeps (warm containers). */
  close?(): Promise<void>;
  /** The daemon settings changed: let go of what they no longer allow (warm containers turned off). */
  settingsChanged?(): void;
}
