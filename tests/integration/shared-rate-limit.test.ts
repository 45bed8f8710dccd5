import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { SharedTokenBuckets } from '@/server/cluster/shared-rate-limit';
import type { Logger } from '@/server/logger';
import type { RateLimit } from '@/server/rate-limit';
import { ownRedis, waitForAsync } from '../helpers/doc-cluster';
import { explainSkip, TEST_REDIS_URL } from '../helpers/postgres';

/**
 * The token bucket every server process shares through Redis (server/cluster/shared-rate-limit.ts),
 * against a real Redis: the Lua script's capacity, refill, all-or-nothing takes and expiry, and
 * what a take does when Redis is gone or slow.
 */
const skip = explainSkip('Shared rate limits (Redis)', ['TEST_REDIS_URL']);

/** A logger that keeps what it was told. */
function recordingLog() {
  const lines: { level: string; message: string }[] = [];
  const log: Logger = {
    info: (message) => lines.push({ level: 'info', message }),
    warn: (message) => lines.push({ level: 'warn', message }),
    error: (message) => lines.push({ level: 'error', message }),
  };
  return { log, lines };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Buckets on the test Redis under a prefix of their own (removed afterwards). */
async function buckets(log: Logger = recordingLog().log, url = TEST_REDIS_URL, prefix?: string) {
  const p = prefix ?? `test-limit-${randomBytes(6).toString('hex')}`;
  const shared = await SharedTokenBuckets.connect(url, p, log, { retryAfterFailureMs: 50 });
  cleanups.push(() => shared.close());
  return { shared, prefix: p };
}

async function rawRedis(url = TEST_REDIS_URL) {
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  cleanups.push(async () => {
    if (client.isOpen) client.destroy();
  });
  return client;
}

async function dropKeys(prefix: string) {
  const redis = await rawRedis();
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}:*` }))
    if (keys.length > 0) await redis.del(keys);
}

const LIMIT: RateLimit = { capacity: 3, refillPerSecond: 2 };

describe.skipIf(skip)('a token bucket shared through Redis', () => {
  it('[S9] gives a burst of its capacity, then refuses with the time until the next token, and a refusal takes nothing', async () => {
    const { shared, prefix } = await buckets();
    cleanups.push(() => dropKeys(prefix));
    const b = [{ key: shared.key('board-a'), limit: LIMIT }];
    for (let i = 0; i < 3; i++) expect(await shared.take(b, 1, 1000)).toEqual({ ok: true });
    expect(await shared.take(b, 1, 1000)).toEqual({ ok: false, retryAfterMs: 500, refusedBy: 0 });
    // Refused again and again: still exactly one token after half a second, not fewer.
    for (let i = 0; i < 5; i++) expect((await shared.take(b, 1, 1000))?.ok).toBe(false);
    expect(await shared.take(b, 1, 1500)).toEqual({ ok: true });
    expect((await shared.take(b, 1, 1500))?.ok).toBe(false);
  });

  it('[S9] refills at its rate and never past its capacity; a clock that goes back refills nothing', async () => {
    const { shared, prefix } = await buckets();
    cleanups.push(() => dropKeys(prefix));
    const b = [{ key: shared.key('board-b'), limit: LIMIT }];
    for (let i = 0; i < 3; i++) await shared.take(b, 1, 0);
    expect((await shared.take(b, 1, 0))?.ok).toBe(false);
    // A minute later: full, and only full.
    for (let i = 0; i < 3; i++) expect(await shared.take(b, 1, 60_000)).toEqual({ ok: true });
    expect((await shared.take(b, 1, 60_000))?.ok).toBe(false);
    // An earlier time (another process's clock behind) neither refills nor drains.
    expect((await shared.take(b, 1, 30_000))?.ok).toBe(false);
    expect(await shared.take(b, 1, 60_500)).toEqual({ ok: true });
    // Costs more than one token: refused with the time for all of them.
    expect(await shared.take(b, 2, 60_500)).toEqual({ ok: false, retryAfterMs: 1000, refusedBy: 0 });
  });

  it('[S9] two holders of the buckets (two processes) share one budget', async () => {
    const first = await buckets();
    cleanups.push(() => dropKeys(first.prefix));
    const second = await buckets(undefined, TEST_REDIS_URL, first.prefix);
    const limit: RateLimit = { capacity: 10, refillPerSecond: 1 };
    const takes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 === 0 ? first.shared : second.shared).take(
          [{ key: first.shared.key('board-c'), limit }],
          1,
          5000,
        ),
      ),
    );
    expect(takes.filter((t) => t?.ok)).toHaveLength(10);
    expect(takes.filter((t) => t?.ok === false)).toHaveLength(20);
  });

  it('[S9] takes from several buckets all or nothing, and says which one refused', async () => {
    const { shared, prefix } = await buckets();
    cleanups.push(() => dropKeys(prefix));
    const person = { key: shared.key('board-d', 'person'), limit: { capacity: 5, refillPerSecond: 1 } };
    const board = { key: shared.key('board-d'), limit: { capacity: 2, refillPerSecond: 1 } };
    expect(await shared.take([person, board], 1, 0)).toEqual({ ok: true });
    expect(await shared.take([person, board], 1, 0)).toEqual({ ok: true });
    expect(await shared.take([person, board], 1, 0)).toEqual({ ok: false, retryAfterMs: 1000, refusedBy: 1 });
    // The board's refusals took none of the person's tokens: three are left.
    for (let i = 0; i < 3; i++) expect(await shared.take([person], 1, 0)).toEqual({ ok: true });
    expect(await shared.take([person, board], 1, 0)).toEqual({ ok: false, retryAfterMs: 1000, refusedBy: 0 });
  });

  it('[S9] a bucket expires when it would be full again, so idle buckets vanish, and the keys carry no board id', async () => {
    const { shared, prefix } = await buckets();
    cleanups.push(() => dropKeys(prefix));
    const redis = await rawRedis();
    const limit: RateLimit = { capacity: 40, refillPerSecond: 4 };
    const key = shared.key('board-secret-id');
    expect(key).not.toContain('board-secret-id');
    expect(key.startsWith(`${prefix}:limit:{`)).toBe(true);
    // On Redis's clock, as the server uses it.
    for (let i = 0; i < 4; i++) expect(await shared.take([{ key, limit }])).toEqual({ ok: true });
    // Four tokens missing at four a second: full again within a second (plus a millisecond).
    const ttl = await redis.pTTL(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1001);
    await waitForAsync(async () => (await redis.exists(key)) === 0, 'the idle bucket expires');
    // Gone means full: a whole burst again.
    const takes = await Promise.all(Array.from({ length: 41 }, () => shared.take([{ key, limit }])));
    expect(takes.filter((t) => t?.ok)).toHaveLength(40);
  });

  it("[S9] refills on Redis's clock when no time is passed", async () => {
    const { shared, prefix } = await buckets();
    cleanups.push(() => dropKeys(prefix));
    const b = [{ key: shared.key('board-e'), limit: { capacity: 2, refillPerSecond: 20 } }];
    const drained = await Promise.all(Array.from({ length: 10 }, () => shared.take(b)));
    const refused = drained.find((t) => t?.ok === false);
    expect(refused).toMatchObject({ ok: false, refusedBy: 0 });
    expect(refused && !refused.ok && refused.retryAfterMs).toBeLessThanOrEqual(50);
    await waitForAsync(async () => (await shared.take(b))?.ok === true, 'a token comes back');
  });
});

describe.skipIf(skip)('when Redis cannot decide', () => {
  it('[S9] a Redis that lost its scripts (restarted, flushed) is sent the script again (EVALSHA, then EVAL)', async () => {
    const redis = await ownRedis();
    cleanups.push(() => redis.kill());
    const { shared } = await buckets(undefined, redis.url);
    const raw = await rawRedis(redis.url);
    const b = [{ key: shared.key('board-f'), limit: LIMIT }];
    expect(await shared.take(b, 1, 0)).toEqual({ ok: true });
    await raw.scriptFlush();
    expect(await shared.take(b, 1, 0)).toEqual({ ok: true });
    expect(await shared.take(b, 1, 0)).toEqual({ ok: true });
    expect(await shared.take(b, 1, 0)).toEqual({ ok: false, retryAfterMs: 500, refusedBy: 0 });
    expect(shared.failing).toBe(false);
  });

  it('[S9] with Redis gone a take answers null at once (the caller limits on its own), logs the outage once, and shares again once Redis is back', async () => {
    const redis = await ownRedis();
    cleanups.push(() => redis.kill());
    const { log, lines } = recordingLog();
    const { shared } = await buckets(log, redis.url);
    const b = [{ key: shared.key('board-g'), limit: LIMIT }];
    expect(await shared.take(b, 1, 0)).toEqual({ ok: true });
    await redis.kill();
    const during = await Promise.all(Array.from({ length: 50 }, () => shared.take(b, 1, 0)));
    expect(during.every((t) => t === null)).toBe(true);
    expect(shared.failing).toBe(true);
    for (let i = 0; i < 20; i++) expect(await shared.take(b, 1, 0)).toBeNull();
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(lines[0]?.message).toMatch(/shared rate limits unavailable/);

    // Back (empty: a fresh bucket), and shared again after the retry interval.
    await redis.start();
    await waitForAsync(async () => (await shared.take(b, 1, 0)) !== null, 'the takes reach Redis again');
    expect(shared.failing).toBe(false);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(lines.filter((l) => l.message.includes('are back'))).toHaveLength(1);
  });

  it('[S9] a take waits at most its timeout for a Redis that does not answer', async () => {
    const redis = await ownRedis();
    cleanups.push(() => redis.kill());
    const { log, lines } = recordingLog();
    const shared = await SharedTokenBuckets.connect(redis.url, 'slow', log, {
      timeoutMs: 100,
      retryAfterFailureMs: 60_000,
    });
    cleanups.push(() => shared.close());
    const raw = await rawRedis(redis.url);
    const b = [{ key: shared.key('board-h'), limit: LIMIT }];
    expect(await shared.take(b, 1, 0)).toEqual({ ok: true });
    // Redis holds every command for 20 s; the test's own timeout (30 s) would catch a take
    // that waited for it.
    // (The cleanup kills this Redis: nothing waits for the pause to end.)
    await raw.sendCommand(['CLIENT', 'PAUSE', '20000', 'ALL']);
    expect(await shared.take(b, 1, 0)).toBeNull();
    // Within the retry interval the next ones do not even ask.
    expect(await Promise.all([shared.take(b, 1, 0), shared.take(b, 1, 0)])).toEqual([null, null]);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(lines[0]?.message).toMatch(/shared rate limits unavailable/);
  });

  it('[S9] a process whose own event loop stalled past the timeout still reads the answer Redis sent meanwhile', async () => {
    const { log, lines } = recordingLog();
    const prefix = `test-limit-${randomBytes(6).toString('hex')}`;
    cleanups.push(() => dropKeys(prefix));
    const shared = await SharedTokenBuckets.connect(TEST_REDIS_URL, prefix, log, { timeoutMs: 100 });
    cleanups.push(() => shared.close());
    const b = [{ key: shared.key('board-i'), limit: LIMIT }];
    const taking = shared.take(b, 1, 0);
    // The request is written in this check phase; then the process is busy for three timeouts,
    // while Redis answers into the socket.
    setImmediate(() => {
      const until = performance.now() + 300;
      while (performance.now() < until) {
        // busy
      }
    });
    expect(await taking).toEqual({ ok: true });
    expect(shared.failing).toBe(false);
    expect(lines).toEqual([]);
  });
});
