const MINUTE_MS = 60_000;
/** A hard bound on the addresses remembered at once, whatever the sweep leaves (many addresses in one minute). */
const DEFAULT_MAX_TRACKED = 100_000;

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiterOptions {
  /** Calls a key may make in a minute: a burst of this many, then one every `60 / perMinute` seconds. */
  perMinute: number;
  /** The clock, in ms; tests pass their own. */
  now?: () => number;
  maxTrackedKeys?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket per key (a client address). Memory stays bounded: a bucket that has refilled is the same as no
 * bucket, so it is forgotten at the next sweep (at most once a minute), and past `maxTrackedKeys` the key idle the
 * longest is forgotten first.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly tokensPerMs: number;
  private readonly now: () => number;
  private readonly maxTrackedKeys: number;
  private lastSweepAt: number;

  constructor(private readonly options: RateLimiterOptions) {
    this.tokensPerMs = options.perMinute / MINUTE_MS;
    this.now = options.now ?? Date.now;
    this.maxTrackedKeys = options.maxTrackedKeys ?? DEFAULT_MAX_TRACKED;
    this.lastSweepAt = this.now();
  }

  /** Takes one call from `key`'s allowance, or says how many seconds until one is available. */
  take(key: string): RateDecision {
    const now = this.now();
    this.sweep(now);
    const tokens = this.tokensAt(this.buckets.get(key), now);
    // Delete then set: the map's order is then least recently used first, which is what eviction takes.
    this.buckets.delete(key);
    if (tokens >= 1) {
      this.remember(key, { tokens: tokens - 1, updatedAt: now });
      return { allowed: true };
    }
    this.remember(key, { tokens, updatedAt: now });
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.tokensPerMs / 1_000)) };
  }

  /** Keys remembered now (for tests and the bound on memory). */
  trackedKeys(): number {
    return this.buckets.size;
  }

  private tokensAt(bucket: Bucket | undefined, now: number): number {
    if (!bucket) return this.options.perMinute;
    return Math.min(this.options.perMinute, bucket.tokens + Math.max(0, now - bucket.updatedAt) * this.tokensPerMs);
  }

  private remember(key: string, bucket: Bucket): void {
    this.buckets.set(key, bucket);
    for (const oldest of this.buckets.keys()) {
      if (this.buckets.size <= this.maxTrackedKeys) break;
      this.buckets.delete(oldest);
    }
  }

  private sweep(now: number): void {
    if (now - this.lastSweepAt < MINUTE_MS) return;
    this.lastSweepAt = now;
    for (const [key, bucket] of this.buckets) {
      if (this.tokensAt(bucket, now) >= this.options.perMinute) this.buckets.delete(key);
    }
  }
}
