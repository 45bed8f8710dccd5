import { describe, expect, it } from 'vitest';
import { configFromEnv as fromVars } from '@/server/config';

const configFromEnv = (vars: Record<string, string>) =>
  fromVars({ NODE_ENV: 'production', ...vars } as NodeJS.ProcessEnv);

describe('configFromEnv: proxies and origins', () => {
  it('defaults to no trusted proxy and no extra origins', () => {
    const config = configFromEnv({});
    expect(config.trustProxyHops).toBe(0);
    expect(config.allowedOrigins).toEqual([]);
    expect(config.rateLimitRedisTimeoutMs).toBe(250);
    expect(configFromEnv({ RATE_LIMIT_REDIS_TIMEOUT_MS: '5000' }).rateLimitRedisTimeoutMs).toBe(5000);
  });

  it('reads TRUST_PROXY as a number of hops and ALLOWED_ORIGINS as a list of origins', () => {
    const config = configFromEnv({
      TRUST_PROXY: '2',
      ALLOWED_ORIGINS: ' https://a.example.com , http://b.example.org:8080/ ',
    });
    expect(config.trustProxyHops).toBe(2);
    expect(config.allowedOrigins).toEqual(['https://a.example.com', 'http://b.example.org:8080']);
  });

  it.each([
    ['TRUST_PROXY', 'true', /TRUST_PROXY/],
    ['TRUST_PROXY', '-1', /TRUST_PROXY.*0 or more/],
    ['TRUST_PROXY', '1.5', /TRUST_PROXY.*whole number/],
    ['RATE_LIMIT_REDIS_TIMEOUT_MS', 'soon', /RATE_LIMIT_REDIS_TIMEOUT_MS/],
    ['RATE_LIMIT_REDIS_TIMEOUT_MS', '0', /RATE_LIMIT_REDIS_TIMEOUT_MS.*at least 10/],
    ['ALLOWED_ORIGINS', 'decide.example.com', /ALLOWED_ORIGINS.*"decide\.example\.com" is not an origin/],
    ['ALLOWED_ORIGINS', 'https://a.example.com/path', /ALLOWED_ORIGINS.*not an origin/],
    ['ALLOWED_ORIGINS', 'ftp://a.example.com', /ALLOWED_ORIGINS.*not an origin/],
  ])('%s=%s stops the server with a message naming the setting', (name, value, message) => {
    expect(() => configFromEnv({ [name]: value })).toThrow(message);
  });
});

describe('configFromEnv: Postgres and Redis', () => {
  it('without DATABASE_URL and REDIS_URL (or with them empty) the server keeps SQLite and runs alone', () => {
    for (const vars of [{}, { DATABASE_URL: '', REDIS_URL: ' ' }] as Record<string, string>[]) {
      const config = configFromEnv(vars);
      expect(config.databaseUrl).toBeNull();
      expect(config.redisUrl).toBeNull();
    }
  });

  it('reads DATABASE_URL and REDIS_URL as given', () => {
    const config = configFromEnv({
      DATABASE_URL: 'postgres://app:secret@db.internal:5432/boards',
      REDIS_URL: 'rediss://cache.internal:6380',
    });
    expect(config.databaseUrl).toBe('postgres://app:secret@db.internal:5432/boards');
    expect(config.redisUrl).toBe('rediss://cache.internal:6380');
    expect(configFromEnv({ DATABASE_URL: 'postgresql://db/boards' }).databaseUrl).toBe(
      'postgresql://db/boards',
    );
  });

  it.each([
    ['DATABASE_URL', 'db.internal:5432', /DATABASE_URL.*expected a postgres:\/\/ or postgresql:\/\/ URL/],
    ['DATABASE_URL', 'not a url', /DATABASE_URL.*not a URL.*postgres:\/\//],
    [
      'DATABASE_URL',
      'mysql://db.internal/boards',
      /DATABASE_URL.*expected a postgres:\/\/ or postgresql:\/\/ URL/,
    ],
    ['DATABASE_URL', 'postgres:///boards', /DATABASE_URL.*with a host/],
    ['REDIS_URL', 'http://cache.internal:6379', /REDIS_URL.*expected a redis:\/\/ or rediss:\/\/ URL/],
    ['REDIS_URL', 'localhost', /REDIS_URL.*not a URL/],
  ])('%s=%s stops the server with a message naming the setting', (name, value, message) => {
    expect(() => configFromEnv({ [name]: value })).toThrow(message);
  });
});
