import { describe, expect, it } from 'vitest';
import { configFromEnv as fromVars } from '@/server/config';

const configFromEnv = (vars: Record<string, string>) =>
  fromVars({ NODE_ENV: 'production', ...vars } as NodeJS.ProcessEnv);

describe('configFromEnv: proxies and origins', () => {
  it('defaults to no trusted proxy and no extra origins', () => {
    const config = configFromEnv({});
    expect(config.trustProxyHops).toBe(0);
    expect(config.allowedOrigins).toEqual([]);
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
    ['ALLOWED_ORIGINS', 'decide.example.com', /ALLOWED_ORIGINS.*"decide\.example\.com" is not an origin/],
    ['ALLOWED_ORIGINS', 'https://a.example.com/path', /ALLOWED_ORIGINS.*not an origin/],
    ['ALLOWED_ORIGINS', 'ftp://a.example.com', /ALLOWED_ORIGINS.*not an origin/],
  ])('%s=%s stops the server with a message naming the setting', (name, value, message) => {
    expect(() => configFromEnv({ [name]: value })).toThrow(message);
  });
});
