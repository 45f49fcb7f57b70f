/** A writer whose pending lines a group can store: see JobLogWriter.storePending. */
export interface GroupedWriter {
  storePending(): (() => void) | undefined;
}

/**
 * Stores the batches of every execution's log writer in one transaction per event-loop turn. With
 * hundreds of jobs printing at once, one commit per writer per turn is what keeps the daemon busy;
 * one commit for all of them costs about what one did. Listeners hear of each batch after the commit.
 */
export class LogFlushGroup {
  private readonly pending = new Set<GroupedWriter>();
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    /** Runs `fn` in one transaction of the log's database. */
    private readonly inTransaction: (fn: () => void) => void,
  ) {}

  /** Flushes `writer` with the others at the end of this turn. */
  schedule(writer: GroupedWriter): void {
    this.pending.add(writer);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = undefined;
    const writers = [...this.pending];
    this.pending.clear();
    const notify: (() => void)[] = [];
    let failure: unknown;
    this.inTransaction(() => {
      for (const writer of writers) {
        try {
          const stored = writer.storePending();
          if (stored !== undefined) notify.push(stored);
        } catch (e) {
          // One writer's failed batch (rolled back to its savepoint) must not take the others' with it.
          failure ??= e;
        }
      }
    });
    for (const stored of notify) stored();
    if (failure !== undefined) throw failure;
  }
}
