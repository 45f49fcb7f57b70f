import { deadline } from './deadline';

/**
 * Engine work that goes on after the call that started it has returned: a finished job's sidecar and
 * network being removed, what a given-up setup still makes being removed, a warm slot that expired, the
 * orphans of an earlier daemon. The executor's close waits for all of it: a daemon that exited while a
 * removal was in flight left a network behind (issue 7).
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<void>>();

  /** Keeps `work` until it settles. Its outcome stays the caller's to handle: a rejection is ignored here. */
  add(work: Promise<unknown>): void {
    const tracked: Promise<void> = work
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** Work still under way. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Resolves true once nothing is under way, including work added while waiting (a removal that ends may
   * start another); false if some is still under way after `timeoutMs` (no bound when not given).
   */
  async settle(timeoutMs?: number): Promise<boolean> {
    const limit = timeoutMs === undefined ? undefined : deadline(timeoutMs);
    let expired = false;
    void limit?.expired.then(() => (expired = true));
    try {
      while (this.pending.size > 0 && !expired) await Promise.race([Promise.all(this.pending), ...(limit ? [limit.expired] : [])]);
      return this.pending.size === 0;
    } finally {
      limit?.cancel();
    }
  }
}
