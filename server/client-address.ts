import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { ServerConfig } from './config';

/**
 * The address of the client that sent `req`, for rate limits (never for authorization).
 *
 * Without trusted proxies (`TRUST_PROXY=0`, the default) it is the socket's peer: any
 * X-Forwarded-For is the client's own claim and ignored. With N trusted hops, each trusted
 * proxy appended the address it received from, so the N right-most addresses (the socket's
 * peer and N−1 X-Forwarded-For entries) are proxies and the next one to the left is the
 * client; anything further left was written by the client and is ignored. Works for
 * Socket.IO (`socket.request`) and WebSocket upgrades as well as REST.
 */
export function clientAddress(req: IncomingMessage, config: Pick<ServerConfig, 'trustProxyHops'>): string {
  const peer = normalizeAddress(req.socket.remoteAddress ?? '') ?? 'unknown';
  if (config.trustProxyHops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  // Right to left: the socket's peer, then what each trusted proxy appended.
  const chain = [...forwarded, peer];
  const index = Math.max(0, chain.length - 1 - config.trustProxyHops);
  // A malformed entry where the client's address should be: a proxy is misconfigured; fall
  // back to the nearest address a trusted proxy vouches for rather than to a client's claim.
  for (let i = index; i < chain.length; i++) {
    const address = normalizeAddress(chain[i] ?? '');
    if (address) return address;
  }
  return peer;
}

/**
 * `raw` as a plain IP address (ports and brackets removed, IPv4-mapped IPv6 as IPv4), or
 * null when it is not one.
 */
export function normalizeAddress(raw: string): string | null {
  let s = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracketed) s = bracketed[1] ?? '';
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(s);
  if (mapped) s = mapped[1] ?? '';
  const family = net.isIP(s);
  if (family === 4) return s;
  if (family === 6) return s.toLowerCase();
  return null;
}

/**
 * The key a client's rate-limit bucket is kept under: its IPv4 address, or its IPv6 /64
 * network (one host usually holds a whole /64, so per-address buckets would be free to
 * multiply).
 */
export function rateLimitKey(address: string): string {
  if (net.isIP(address) !== 6) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::1.2.3.4) takes two groups; only the first four groups matter here.
  const fill = Array.from({ length: Math.max(0, 8 - left.length - right.length) }, () => '0');
  return [...left, ...(tail === undefined ? [] : fill), ...right].map((g) => g.replace(/^0+(?=.)/, ''));
}
