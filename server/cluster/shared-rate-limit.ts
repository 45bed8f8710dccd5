import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';
import type { Logger } from '../logger';
import type { RateLimit } from '../rate-limit';

/**
 * Bounds of the token buckets shared by every server process through Redis
 * (docs/ARCHITECTURE.md, "Several processes: limits").
 */
export const SHARED_LIMITS = {
  /**
   * Longest a command waits for Redis to answer its token request. Past it the process's own
   * buckets decide (the per-process limit): a slow Redis never holds a command for longer.
   */
  TIMEOUT_MS: 250,
  /**
   * After a failure (Redis unreachable, slow, or answering an error) the local buckets decide
   * at once, and Redis is tried again by one command after this long.
   */
  RETRY_AFTER_FAILURE_MS: 1000,
} as const;

/**
 * One atomic take from one or more token buckets (KEYS), all or nothing: either every bucket
 * has `cost` tokens and each gives them, or none gives anything and the reply says which one
 * refused first and when it will have them.
 *
 * A bucket is a hash {t: tokens, at: ms of its last refill}; a missing key is a full bucket. Each
 * write sets the key to expire when the bucket would be full again, so idle buckets vanish.
 *
 * ARGV[1]: the time in ms, or '' to use Redis's own clock (TIME). The server passes '': every
 * process then refills from one clock, so processes whose clocks disagree cannot refill a
 * bucket early (a process whose clock runs 10 s ahead would otherwise refill 10 s of tokens
 * for everyone, each time it alternated with one behind). Tests pass a time to drive the clock.
 * ARGV[2]: cost; then per key: capacity, tokens per ms.
 * Reply: {0, 0} when taken, else {index of the refusing key (1-based), ms until it has `cost`}.
 */
export const TOKEN_BUCKET_LUA = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local cost = tonumber(ARGV[2])
local tokens = {}
local at = {}
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[1 + i * 2])
  local rate = tonumber(ARGV[2 + i * 2])
  local state = redis.call('HMGET', key, 't', 'at')
  local t = tonumber(state[1])
  local a = tonumber(state[2])
  if t == nil or a == nil then
    t = capacity
    a = now
  end
  -- A clock that went back refills nothing (and never drains).
  if now > a then
    t = math.min(capacity, t + (now - a) * rate)
    a = now
  end
  if t < cost then
    return {i, math.ceil((cost - t) / rate)}
  end
  tokens[i] = t
  at[i] = a
end
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[1 + i * 2])
  local rate = tonumber(ARGV[2 + i * 2])
  local t = tokens[i] - cost
  redis.call('HSET', key, 't', tostring(t), 'at', tostring(at[i]))
  redis.call('PEXPIRE', key, math.ceil((capacity - t) / rate) + 1)
end
return {0, 0}
`;

const SCRIPT_SHA = createHash('sha1').update(TOKEN_BUCKET_LUA).digest('hex');

/** One bucket of a take: its Redis key (see `SharedTokenBuckets.key`) and its limit. */
export interface SharedBucket {
  key: string;
  limit: RateLimit;
}

/** A shared take: allowed, or refused by `buckets[refusedBy]` with a retry hint. */
export type SharedTake = { ok: true } | { ok: false; retryAfterMs: number; refusedBy: number };

/** What the buckets need of a Redis connection (node-redis's client has it). */
export interface RedisCommands {
  sendCommand(args: string[]): Promise<unknown>;
}

export interface SharedTokenBucketsOptions {
  timeoutMs?: number;
  retryAfterFailureMs?: number;
  /** Closes the connection (set by `connect`). */
  close?: () => Promise<void>;
}

/**
 * Token buckets that every server process shares through Redis, for the limits that are per
 * board (or per participant of a board): with N processes a board gets one budget, not N.
 *
 * `take` never throws and never waits longer than `timeoutMs`: it answers null when Redis
 * cannot decide (unreachable, slow, an error), and the caller falls back to its own
 * per-process buckets. After a failure Redis is left alone for `retryAfterFailureMs`, then
 * one take tries it again. An outage is logged once when it starts and once when it ends.
 */
export class SharedTokenBuckets {
  private readonly timeoutMs: number;
  private readonly retryAfterFailureMs: number;
  /** When Redis failed; null while it answers. */
  private failedAt: number | null = null;
  /** A take trying Redis again after a failure is under way. */
  private probing = false;
  private closed = false;

  constructor(
    private readonly redis: RedisCommands,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly options: SharedTokenBucketsOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? SHARED_LIMITS.TIMEOUT_MS;
    this.retryAfterFailureMs = options.retryAfterFailureMs ?? SHARED_LIMITS.RETRY_AFTER_FAILURE_MS;
  }

  /** Buckets on their own Redis connection (REDIS_URL), under the deployment's prefix. */
  static async connect(
    url: string,
    prefix: string,
    log: Logger,
    options: Omit<SharedTokenBucketsOptions, 'close'> = {},
  ): Promise<SharedTokenBuckets> {
    let connectedOnce = false;
    const client = createClient({
      url,
      // While Redis is away a take fails at once (and the local bucket decides) instead of
      // queueing behind the reconnection.
      disableOfflineQueue: true,
      socket: {
        reconnectStrategy: (retries: number, cause: Error) =>
          !connectedOnce && retries >= 10 ? cause : Math.min(50 * 2 ** retries, 1000),
      },
    });
    client.on('ready', () => {
      connectedOnce = true;
    });
    // Errors are reported by the takes that fail (once per outage); without a listener an
    // error event would crash the process.
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (err) {
      client.destroy();
      throw err;
    }
    return new SharedTokenBuckets(client, prefix, log, {
      ...options,
      close: async () => {
        if (client.isOpen) client.destroy();
      },
    });
  }

  /**
   * The Redis key of a bucket: the board's hashed id in braces (every key of one board in one
   * slot, as a multi-key script needs on Redis Cluster), then the rest hashed too, so the keys
   * carry no capability.
   */
  key(boardId: string, ...rest: string[]): string {
    const tag = `${this.prefix}:limit:{${digest(boardId)}}`;
    return rest.length === 0 ? tag : `${tag}:${rest.map(digest).join(':')}`;
  }

  /** Redis failed lately: takes answer null without asking it. */
  get failing(): boolean {
    return this.failedAt !== null;
  }

  /**
   * Takes `cost` tokens from every bucket, or from none. Null when Redis cannot decide: the
   * caller's own buckets must. `nowMs` is for tests (default: Redis's clock, see the script).
   */
  async take(buckets: SharedBucket[], cost = 1, nowMs?: number): Promise<SharedTake | null> {
    if (this.closed || buckets.length === 0) return null;
    const args = [nowMs === undefined ? '' : String(nowMs), String(cost)];
    for (const b of buckets) {
      if (!(b.limit.capacity > 0 && b.limit.refillPerSecond > 0)) {
        throw new Error('a bucket needs capacity and refill');
      }
      args.push(String(b.limit.capacity), String(b.limit.refillPerSecond / 1000));
    }
    // While failing, one take at a time asks Redis again (a probe); only a probe's answer ends
    // the outage, so takes sent before it failed and answered late do not make it flap.
    const probe = this.failedAt !== null;
    if (probe) {
      if (this.probing || performance.now() - (this.failedAt ?? 0) < this.retryAfterFailureMs) return null;
      this.probing = true;
    }
    const keys = buckets.map((b) => b.key);
    try {
      const reply = await withTimeout(this.run(keys, args), this.timeoutMs);
      const [refusedBy, retryAfterMs] = parseReply(reply, buckets.length);
      if (probe) this.recovered();
      return refusedBy === 0 ? { ok: true } : { ok: false, retryAfterMs, refusedBy: refusedBy - 1 };
    } catch (err) {
      this.failed(err);
      return null;
    } finally {
      if (probe) this.probing = false;
    }
  }

  /** EVALSHA; when Redis does not have the script (restarted, flushed), EVAL, which loads it. */
  private async run(keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.redis.sendCommand(['EVALSHA', SCRIPT_SHA, ...tail]);
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
      return await this.redis.sendCommand(['EVAL', TOKEN_BUCKET_LUA, ...tail]);
    }
  }

  private failed(err: unknown): void {
    const first = this.failedAt === null;
    this.failedAt = performance.now();
    if (first && !this.closed) {
      this.log.warn(
        'redis: shared rate limits unavailable; each process limits on its own until it is back',
        {
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        },
      );
    }
  }

  private recovered(): void {
    if (this.failedAt === null) return;
    this.failedAt = null;
    this.log.info('redis: shared rate limits are back');
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.options.close?.();
  }
}

/**
 * `work`, or a rejection after `ms`. Our own timer: node-redis's command timeout does not cover
 * a command already written to a Redis that stopped answering. A late reply is dropped (the
 * token it took, if any, is spent: the late direction is the safe one). When the timer fires,
 * the rejection waits for the event loop's next check phase: after a stall of our own event
 * loop, a reply already waiting in the socket is read first, so a busy process does not take
 * its own slowness for Redis's and fall back to its local buckets.
 */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => setImmediate(() => reject(new Error(`no answer from Redis within ${ms} ms`))),
      ms,
    );
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function digest(part: string): string {
  return createHash('sha256').update(part).digest('base64url').slice(0, 22);
}

/** The script's reply, checked: [refusing key (0: none), retry ms]. */
function parseReply(reply: unknown, keys: number): [number, number] {
  if (Array.isArray(reply) && reply.length === 2) {
    const [refusedBy, retryAfterMs] = reply.map(Number) as [number, number];
    if (
      Number.isInteger(refusedBy) &&
      refusedBy >= 0 &&
      refusedBy <= keys &&
      Number.isFinite(retryAfterMs) &&
      retryAfterMs >= 0
    ) {
      return [refusedBy, refusedBy === 0 ? 0 : Math.max(1, retryAfterMs)];
    }
  }
  throw new Error(`unexpected reply from the rate limit script: ${JSON.stringify(reply)}`);
}
