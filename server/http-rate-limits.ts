import { HTTP_LIMITS } from '@/lib/limits';
import { rateLimitKey } from './client-address';
import type { SharedTokenBuckets } from './cluster/shared-rate-limit';
import { KeyedRateLimiter, type RateLimit, type Take } from './rate-limit';

const perHour = (n: number) => n / 3600;
const perMinute = (n: number) => n / 60;

export interface HttpRateLimitSettings {
  boardCreatePerAddress: RateLimit;
  boardCreateGlobal: RateLimit;
  boardReadPerAddress: RateLimit;
}

export const DEFAULT_HTTP_RATE_LIMITS: HttpRateLimitSettings = {
  boardCreatePerAddress: {
    capacity: HTTP_LIMITS.BOARD_CREATE_BURST_PER_ADDRESS,
    refillPerSecond: perHour(HTTP_LIMITS.BOARD_CREATE_REFILL_PER_ADDRESS_PER_HOUR),
  },
  boardCreateGlobal: {
    capacity: HTTP_LIMITS.BOARD_CREATE_BURST_GLOBAL,
    refillPerSecond: perHour(HTTP_LIMITS.BOARD_CREATE_REFILL_GLOBAL_PER_HOUR),
  },
  boardReadPerAddress: {
    capacity: HTTP_LIMITS.BOARD_READ_BURST_PER_ADDRESS,
    refillPerSecond: perMinute(HTTP_LIMITS.BOARD_READ_REFILL_PER_ADDRESS_PER_MINUTE),
  },
};

/**
 * The REST rate limits of one server. Times are passed in (milliseconds from the server's
 * clock), so tests drive them with a fake clock.
 */
export class HttpRateLimits {
  private readonly createsByAddress: KeyedRateLimiter;
  private readonly createsGlobal: KeyedRateLimiter;
  private readonly readsByAddress: KeyedRateLimiter;

  private readonly globalLimit: RateLimit;

  /**
   * `shared` (several processes, REDIS_URL): the limit for everyone together is counted across
   * every process, as its name says; when Redis cannot decide, by this process alone. The
   * per-address limits stay per process (docs/ARCHITECTURE.md, "Several processes: limits").
   */
  constructor(
    settings: Partial<HttpRateLimitSettings> = {},
    private readonly shared: SharedTokenBuckets | null = null,
  ) {
    const limits = { ...DEFAULT_HTTP_RATE_LIMITS, ...settings };
    this.globalLimit = limits.boardCreateGlobal;
    const maxKeys = HTTP_LIMITS.RATE_LIMIT_MAX_ADDRESSES;
    this.createsByAddress = new KeyedRateLimiter(limits.boardCreatePerAddress, maxKeys);
    this.createsGlobal = new KeyedRateLimiter(limits.boardCreateGlobal, 1);
    this.readsByAddress = new KeyedRateLimiter(limits.boardReadPerAddress, maxKeys);
  }

  /** One board creation by `address`, checked before its body is read. */
  boardCreateByAddress(address: string, nowMs: number): Take {
    return this.createsByAddress.take(rateLimitKey(address), nowMs);
  }

  /** One board creation by anyone, taken only for a valid request (garbage cannot drain it). */
  async boardCreateGlobal(nowMs: number): Promise<Take> {
    if (this.shared) {
      const take = await this.shared
        .take([{ key: this.shared.key('board-creation'), limit: this.globalLimit }])
        .catch(() => null);
      if (take) return take.ok ? take : { ok: false, retryAfterMs: take.retryAfterMs };
    }
    return this.createsGlobal.take('*', nowMs);
  }

  /** One board summary or decision record read by `address`. */
  boardRead(address: string, nowMs: number): Take {
    return this.readsByAddress.take(rateLimitKey(address), nowMs);
  }
}
