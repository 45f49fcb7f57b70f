import { CroniumError } from '../errors';
import type { Target } from '../protocol/dto';
import { ErrorCodes } from '../protocol/errors';
import type { Executor, ExecutorKind } from './executor';

/** Executors by kind. The queue asks it for a target and never branches on kinds itself. */
export class ExecutorRegistry {
  private readonly byKind = new Map<ExecutorKind, Executor>();

  register(executor: Executor): void {
    this.byKind.set(executor.kind, executor);
  }

  /** Closes every executor (daemon shutdown, after the jobs ended). */
  async close(): Promise<void> {
    await Promise.all([...this.byKind.values()].map((executor) => executor.close?.()));
  }

  /** Tells every executor that the daemon settings changed. */
  settingsChanged(): void {
    for (const executor of this.byKind.values()) executor.settingsChanged?.();
  }

  kinds(): ExecutorKind[] {
    return [...this.byKind.keys()];
  }

  /** Targets a job can be moved to by naming them alone (ssh needs servers named too). */
  private pickable(): ExecutorKind[] {
    return this.kinds().filter((kind) => kind !== 'ssh');
  }

  get(kind: ExecutorKind): Executor {
    const executor = this.byKind.get(kind);
    if (executor === undefined) throw unavailable(kind, `No ${kind} executor is registered`);
    return executor;
  }

  /** Throws `target_unavailable` (with the executor's reason) unless `target` can take work now. */
  async requireAvailable(target: Exclude<Target, 'auto'>): Promise<Executor> {
    const executor = this.byKind.get(target);
    if (executor === undefined) throw unavailable(target, `The ${target} target is not available on this daemon`, this.pickable());
    const state = await executor.available();
    if (!state.ok) throw unavailable(target, state.reason, this.pickable().filter((kind) => kind !== target));
    return executor;
  }

  /**
   * Picks the target of an execution as it is claimed. `auto` means a container when a Docker engine
   * answers, else the host, with a notice saying why.
   */
  async resolve(requested: Target): Promise<{ target: Exclude<Target, 'auto'>; notice?: string }> {
    if (requested !== 'auto') {
      await this.requireAvailable(requested);
      return { target: requested };
    }
    const container = this.byKind.get('container');
    if (container !== undefined) {
      const state = await container.available();
      if (state.ok) return { target: 'container' };
      return { target: 'local', notice: `Running on the host: ${state.reason}` };
    }
    return { target: 'local' };
  }
}

/** `others`: the targets a client may offer instead. */
function unavailable(target: string, message: string, others: string[] = []): CroniumError {
  const hint = others.length > 0 ? { hint: { action: 'choose_target' as const, targets: others } } : {};
  return new CroniumError(ErrorCodes.TargetUnavailable, 'target_unavailable', message, { target, ...hint });
}
