import path from 'node:path';
import { z } from 'zod';

/** Environment variables, validated at start-up; a bad value stops the server with a message. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Base URL used in links (e.g. https://decide.example.com); default: the request's Host. */
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  SQLITE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  /**
   * Postgres instead of SQLite (postgres://user:password@host:port/database): several server
   * processes may share it. Empty or unset: SQLite under DATA_DIR, one process.
   */
  DATABASE_URL: serviceUrl(['postgres', 'postgresql'], 'postgres://user:password@host:5432/database'),
  /**
   * Redis for the fan-out between processes (redis://host:6379 or rediss://…). Needed as soon
   * as more than one process serves the same DATABASE_URL.
   */
  REDIS_URL: serviceUrl(['redis', 'rediss'], 'redis://host:6379'),
  /**
   * Prefix of every Redis key and channel this deployment uses, so several deployments (or
   * test runs) can share one Redis. Processes of one deployment must use the same.
   */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." and "-", at most 64')
    .default('decision-board'),
  /**
   * Several processes: how long a command waits for Redis to answer its shared rate-limit
   * token before this process's own buckets decide (ms).
   */
  RATE_LIMIT_REDIS_TIMEOUT_MS: z.coerce
    .number({ error: 'a number of milliseconds' })
    .int('a whole number of milliseconds')
    .min(10, 'at least 10 ms')
    .max(60_000, 'at most 60000 ms')
    .default(250),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  LOG_LEVEL: z.enum(['silent', 'info']).default('info'),
  /** 'false' serves only the API and sync endpoints, without the Next.js UI. */
  SERVE_UI: z.enum(['true', 'false']).default('true'),
  /**
   * How many reverse proxies in front of the server append to X-Forwarded-For (0: none, the
   * socket's peer is the client). Used to tell clients apart for rate limits.
   */
  TRUST_PROXY: z.coerce
    .number({ error: 'a number of proxy hops (0, 1, 2, …)' })
    .int('a whole number of proxy hops')
    .min(0, 'a number of proxy hops, 0 or more')
    .max(10, 'at most 10 proxy hops')
    .default(0),
  /**
   * Comma-separated origins (scheme://host[:port]) of other sites whose pages may open the
   * board's WebSockets; the server's own origin and PUBLIC_URL are always allowed.
   */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const origins: string[] = [];
      for (const item of value.split(',').map((s) => s.trim())) {
        if (item === '') continue;
        const origin = originOf(item);
        if (!origin) {
          ctx.addIssue({
            code: 'custom',
            message: `"${item}" is not an origin like https://decide.example.com (scheme, host and optional port, no path)`,
          });
          return z.NEVER;
        }
        origins.push(origin);
      }
      return origins;
    }),
});

/** An optional URL with one of `schemes`; empty counts as unset. */
function serviceUrl(schemes: string[], example: string) {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return null;
      let url: URL;
      try {
        url = new URL(value.trim());
      } catch {
        ctx.addIssue({ code: 'custom', message: `not a URL; expected something like ${example}` });
        return z.NEVER;
      }
      const scheme = url.protocol.replace(/:$/, '');
      if (!schemes.includes(scheme) || url.hostname === '') {
        ctx.addIssue({
          code: 'custom',
          message: `expected a ${schemes.map((s) => `${s}://`).join(' or ')} URL with a host, like ${example}`,
        });
        return z.NEVER;
      }
      return value.trim();
    });
}

/** `value` as a serialized http(s) origin, or null when it is not exactly an origin. */
function originOf(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.search || url.hash) return null;
  if (url.pathname !== '/') return null;
  return url.origin;
}

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  publicUrl: string | null;
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** Postgres store shared by several processes (null: SQLite under dataDir, one process). */
  databaseUrl: string | null;
  /** Redis for fan-out between processes (null: this process alone). */
  redisUrl: string | null;
  /** Prefix of this deployment's Redis keys and channels. */
  redisPrefix: string;
  /** How long a command waits for Redis's shared rate-limit answer before deciding locally. */
  rateLimitRedisTimeoutMs: number;
  /** 'none' serves only the API and sync endpoints (integration tests). */
  ui: 'production' | 'development' | 'none';
  logLevel: 'silent' | 'info';
  /** Reverse proxies trusted to append the client's address to X-Forwarded-For. */
  trustProxyHops: number;
  /** Origins (besides the server's own and PUBLIC_URL) whose pages may open WebSockets. */
  allowedOrigins: string[];
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    publicUrl: e.PUBLIC_URL ?? null,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    rateLimitRedisTimeoutMs: e.RATE_LIMIT_REDIS_TIMEOUT_MS,
    ui: e.SERVE_UI === 'false' ? 'none' : e.NODE_ENV === 'development' ? 'development' : 'production',
    logLevel: e.LOG_LEVEL,
    trustProxyHops: e.TRUST_PROXY,
    allowedOrigins: e.ALLOWED_ORIGINS,
  };
}
