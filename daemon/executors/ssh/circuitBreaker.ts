import type { CircuitState } from '../../protocol/servers';

/** Connection failures in a row that open the circuit. */
export const CIRCUIT_FAILURES = 5;

/**
 * The circuit breaker of one server's connections: after {@link CIRCUIT_FAILURES} connection failures in
 * a row it opens and jobs fail at once (no connect timeout to wait out for each), until `resetMs` have
 * passed; then one attempt goes through (half-open): its success closes the circuit, its failure opens it
 * again for another `resetMs`.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;

  constructor(
    private readonly resetMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.resetMs() ? 'half_open' : 'open';
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** When an open circuit lets the next attempt through (null when closed). */
  get retryAt(): number | null {
    return this.openedAt === null ? null : this.openedAt + this.resetMs();
  }

  /**
   * Whether a connection attempt may be made now. Half-open lets one attempt at a time through: the
   * others are refused until it settles.
   */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  succeeded(): void {
    this.failures = 0;
    this.openedAt = null;
    this.probing = false;
  }

  failed(): void {
    this.failures++;
    const wasProbe = this.probing;
    this.probing = false;
    if (wasProbe || this.failures >= CIRCUIT_FAILURES) this.openedAt = this.now();
  }

  /** An attempt that ended for a reason that says nothing of reachability (a refused key): lets the next probe go. */
  released(): void {
    this.probing = false;
  }
}
