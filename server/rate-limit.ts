/**
 * Rate limits as token buckets: a bucket holds up to `capacity` tokens and refills at
 * `refillPerSecond`; each action takes one (or `cost`) token. Time is passed in, so tests
 * drive the clock instead of sleeping.
 */
export interface RateLimit {
  /** Burst: actions allowed at once from a full bucket. */
  capacity: number;
  /** Sustained rate: tokens added per second. */
  refillPerSecond: number;
}

export type Take = { ok: true } | { ok: false; retryAfterMs: number };

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.capacity;
    this.last = now;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.limit.capacity, this.tokens + elapsed * this.limit.refillPerSecond);
    this.last = now;
  }

  take(now: number, cost = 1): Take {
    this.refill(now);
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return { ok: true };
    }
    const missing = cost - this.tokens;
    return { ok: false, retryAfterMs: Math.ceil((missing / this.limit.refillPerSecond) * 1000) };
  }

  /** True when the bucket is full again: forgetting it changes nothing. */
  isIdle(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.limit.capacity;
  }
}

/**
 * One bucket per key (a client address, a board, a participant), with a bounded number of
 * keys: past `maxKeys`, idle buckets are forgotten first, then the oldest.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly maxKeys = 10_000,
  ) {}

  take(key: string, now: number, cost = 1): Take {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      bucket = new TokenBucket(this.limit, now);
      this.buckets.set(key, bucket);
    }
    return bucket.take(now, cost);
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.isIdle(now)) this.buckets.delete(key);
    // Still full: forget the oldest keys (Map keeps insertion order).
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}

/** Seconds for a Retry-After header: at least 1. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
