interface Bucket {
  tokens: number;
  at: number;
}

/** How often `take` looks for buckets to drop; a sweep walks every bucket, so not on every request. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Per-execution token buckets: `burst` requests at once, refilled at `perMinute`.
 *
 * A bucket that has refilled to `burst` behaves exactly like a missing one, so dropping it loses
 * nothing: `take` drops those now and then, and the map only ever holds the executions that called
 * within the last refill time (burst / perMinute minutes) plus a sweep interval, even when nobody
 * calls {@link forget}. `forget` frees an ended execution's bucket at once.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
  ) {}

  /** How many executions hold a bucket. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one request's token; returns the seconds to wait when there is none. */
  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = this.refilled(bucket, now);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.ceil(((1 - bucket.tokens) * 60) / this.perMinute) };
  }

  /** Frees an execution's bucket (its execution ended). */
  forget(key: string): void {
    this.buckets.delete(key);
  }

  private refilled(bucket: Bucket, now: number): number {
    return Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 60_000) * this.perMinute);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (this.refilled(bucket, now) >= this.burst) this.buckets.delete(key);
    }
  }
}
