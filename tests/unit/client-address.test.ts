import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress, normalizeAddress, rateLimitKey } from '@/server/client-address';

function request(peer: string | undefined, forwardedFor?: string | string[]): IncomingMessage {
  return {
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  } as unknown as IncomingMessage;
}

describe('clientAddress', () => {
  it.each([
    // [what, peer, X-Forwarded-For, TRUST_PROXY, expected]
    ['no proxy: the socket peer', '203.0.113.7', undefined, 0, '203.0.113.7'],
    ['no proxy: a forged X-Forwarded-For is ignored', '203.0.113.7', '198.51.100.1', 0, '203.0.113.7'],
    ['one proxy: the address it appended', '10.0.0.2', '198.51.100.1', 1, '198.51.100.1'],
    [
      'one proxy: what the client wrote before it is ignored',
      '10.0.0.2',
      '1.1.1.1, 2.2.2.2, 198.51.100.1',
      1,
      '198.51.100.1',
    ],
    [
      'two proxies: the right-most untrusted entry',
      '10.0.0.3',
      '6.6.6.6, 198.51.100.1, 10.0.0.2',
      2,
      '198.51.100.1',
    ],
    ['repeated headers are one list', '10.0.0.2', ['6.6.6.6', '198.51.100.1'], 1, '198.51.100.1'],
    ['fewer entries than hops: the left-most one', '10.0.0.3', '198.51.100.1', 2, '198.51.100.1'],
    ['trusted proxy but no header: the peer', '10.0.0.2', undefined, 1, '10.0.0.2'],
    ['a garbage entry falls back towards the proxies', '10.0.0.2', 'not-an-ip', 1, '10.0.0.2'],
    ['IPv4-mapped IPv6 peers are IPv4', '::ffff:203.0.113.7', undefined, 0, '203.0.113.7'],
    ['ports and brackets are dropped', '10.0.0.2', '[2001:db8::1]:443', 1, '2001:db8::1'],
    ['an IPv4 entry with a port', '10.0.0.2', '198.51.100.1:5000', 1, '198.51.100.1'],
    ['a socket without an address', undefined, undefined, 0, 'unknown'],
  ] as const)('%s', (_what, peer, forwarded, hops, expected) => {
    expect(
      clientAddress(request(peer, forwarded as string | string[] | undefined), { trustProxyHops: hops }),
    ).toBe(expected);
  });
});

describe('normalizeAddress', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['2001:DB8::1', '2001:db8::1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['[::1]', '::1'],
    ['999.1.1.1', null],
    ['example.com', null],
    ['', null],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeAddress(raw)).toBe(expected);
  });
});

describe('rateLimitKey', () => {
  it('keeps an IPv4 address whole', () => {
    expect(rateLimitKey('203.0.113.7')).toBe('203.0.113.7');
  });
  it('puts every address of one IPv6 /64 in one bucket, and other /64s in others', () => {
    const a = rateLimitKey('2001:db8:1:2:aaaa::1');
    expect(rateLimitKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(a);
    expect(rateLimitKey('2001:0db8:0001:0002::9')).toBe(a);
    expect(rateLimitKey('2001:db8:1:3::1')).not.toBe(a);
    expect(rateLimitKey('::1')).toBe('0:0:0:0::/64');
  });
});
