import type { Logger } from '../logger';
import type { DaemonSettings } from '../protocol/settings';
import type { RetentionStore } from '../store/retentionStore';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
/** Jobs per transaction: a big log takes a while to delete, and requests should not wait for all. */
const BATCH = 20;

/** Keeps finished jobs and their logs for `logRetentionDays` (0: for ever). */
export class LogRetention {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly store: RetentionStore,
    private readonly settings: () => DaemonSettings,
    private readonly logger: Logger,
  ) {}

  /** Prunes now, then every hour (an unref'd timer: it never keeps the daemon awake). */
  start(): void {
    void this.prune();
    this.timer = setInterval(() => void this.prune(), HOUR_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Deletes what is older than the retention, a batch per event-loop turn. */
  async prune(): Promise<number> {
    const days = this.settings().logRetentionDays;
    if (days <= 0 || this.running) return 0;
    this.running = true;
    let total = 0;
    try {
      const cutoff = Date.now() - days * DAY_MS;
      for (;;) {
        const deleted = this.store.pruneFinishedBefore(cutoff, BATCH);
        total += deleted;
        if (deleted < BATCH) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (total > 0) this.logger.info(`deleted ${total} finished job(s) older than ${days} day(s) with their logs`);
      return total;
    } finally {
      this.running = false;
    }
  }
}
