import { describe, expect, it } from 'vitest';
import { KeyedRateLimiter, retryAfterSeconds, TokenBucket } from '@/server/rate-limit';

describe('token bucket', () => {
  it('allows a burst of `capacity`, then refuses with the time until the next token', () => {
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 2 }, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)].every((t) => t.ok)).toBe(true);
    expect(bucket.take(0)).toEqual({ ok: false, retryAfterMs: 500 });
    // Half a second later one token is back, and only one.
    expect(bucket.take(500).ok).toBe(true);
    expect(bucket.take(500).ok).toBe(false);
  });

  it('refills at the sustained rate and never beyond its capacity', () => {
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1 }, 0);
    bucket.take(0);
    bucket.take(0);
    expect(bucket.isIdle(60_000)).toBe(true);
    expect(bucket.take(60_000).ok).toBe(true);
    expect(bucket.take(60_000).ok).toBe(true);
    expect(bucket.take(60_000).ok).toBe(false);
  });

  it('a clock that goes backwards adds no tokens', () => {
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1 }, 10_000);
    expect(bucket.take(10_000).ok).toBe(true);
    expect(bucket.take(5_000).ok).toBe(false);
  });

  it('a costly action takes several tokens', () => {
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 10 }, 0);
    expect(bucket.take(0, 8).ok).toBe(true);
    expect(bucket.take(0, 3)).toEqual({ ok: false, retryAfterMs: 100 });
  });
});

describe('keyed rate limiter', () => {
  it('keeps one bucket per key: one key running out leaves the others alone', () => {
    const limiter = new KeyedRateLimiter({ capacity: 1, refillPerSecond: 1 });
    expect(limiter.take('10.0.0.1', 0).ok).toBe(true);
    expect(limiter.take('10.0.0.1', 0).ok).toBe(false);
    expect(limiter.take('10.0.0.2', 0).ok).toBe(true);
  });

  it('holds at most maxKeys buckets, forgetting idle ones first', () => {
    const limiter = new KeyedRateLimiter({ capacity: 1, refillPerSecond: 1 }, 3);
    limiter.take('busy', 0);
    for (let i = 0; i < 100; i++) limiter.take(`k${i}`, i * 10);
    expect(limiter.size).toBeLessThanOrEqual(3);
  });

  it('Retry-After is whole seconds, at least one', () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
  });
});
