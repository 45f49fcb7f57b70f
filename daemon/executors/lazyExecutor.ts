import type {
  Execution,
  ExecutionHooks,
  ExecutionSpec,
  Executor,
  ExecutorKind,
  LostExecution,
  RecoveredExecution,
  TargetOptionsSpec,
} from './executor';

/**
 * An executor whose module is loaded on first use. The Docker client (dockerode, gRPC, protobuf)
 * costs the daemon ~12 MiB of memory: a user who runs only local jobs never pays it.
 */
export class LazyExecutor implements Executor {
  private loading: Promise<Executor> | undefined;
  private real: Executor | undefined;

  constructor(
    readonly kind: ExecutorKind,
    private readonly create: () => Promise<Executor>,
    /** Called once the executor is loaded other than through recover (e.g. to clean up orphans). */
    private readonly onFirstLoad?: (executor: Executor) => void,
    /** The executor's options, from a module light enough to load at once (its schema and defaults). */
    readonly options?: TargetOptionsSpec,
  ) {}

  async available(): Promise<{ ok: true } | { ok: false; reason: string }> {
    return (await this.load()).available();
  }

  start(spec: ExecutionSpec, hooks: ExecutionHooks): Execution {
    if (this.real !== undefined) return this.real.start(spec, hooks);
    let inner: Execution | undefined;
    let pendingStop: number | undefined;
    const done = this.load().then((executor) => {
      inner = executor.start(spec, hooks);
      if (pendingStop !== undefined) inner.stop(pendingStop);
      return inner.done;
    });
    const execution: Execution = {
      done,
      stop: (graceMs) => {
        if (inner !== undefined) inner.stop(graceMs);
        else pendingStop = graceMs;
      },
    };
    if (spec.interactive !== undefined) {
      execution.writeStdin = (data, eof) => inner?.writeStdin?.(data, eof) ?? false;
      execution.resize = (size) => inner?.resize?.(size) ?? false;
    }
    return execution;
  }

  /** Passes a settings change on, if the executor was ever loaded. */
  settingsChanged(): void {
    this.real?.settingsChanged?.();
  }

  /** Loads the executor only when there is something to recover. */
  async recover(lost: LostExecution[], hooksFor: (executionId: string) => ExecutionHooks): Promise<RecoveredExecution[]> {
    if (lost.length === 0) return [];
    const executor = await this.load(false);
    return executor.recover ? executor.recover(lost, hooksFor) : lost.map((execution) => ({ executionId: execution.executionId, state: 'gone' as const }));
  }

  /** Closes the executor if it was ever loaded. */
  async close(): Promise<void> {
    if (this.loading === undefined) return;
    const executor = await this.loading.catch(() => undefined);
    await executor?.close?.();
  }

  private load(notify = true): Promise<Executor> {
    this.loading ??= this.create().then((executor) => {
      this.real = executor;
      if (notify) this.onFirstLoad?.(executor);
      return executor;
    });
    return this.loading;
  }
}
