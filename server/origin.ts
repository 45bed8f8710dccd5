import type { IncomingMessage } from 'node:http';
import type { ServerConfig } from './config';

/**
 * Whether a request's Origin may use the board's WebSockets (/yjs, Socket.IO).
 *
 * Browsers always send Origin on WebSocket handshakes and cross-site requests, and a page
 * cannot forge it; scripts and other non-browser clients send none and hold the same
 * capability links anyway, so a missing Origin is allowed. A browser Origin must be this
 * server's own (the Host it was asked for, or PUBLIC_URL) or one of ALLOWED_ORIGINS: another
 * site's page must not drive a visitor's browser into a board (cross-site WebSocket use).
 * `Origin: null` (sandboxed frames, file: pages) is a browser hiding where it is: refused.
 *
 * Socket.IO takes this as its `allowRequest` option (see `socketIoAllowRequest`).
 */
export function isOriginAllowed(
  req: Pick<IncomingMessage, 'headers'>,
  config: Pick<ServerConfig, 'publicUrl' | 'allowedOrigins'>,
): boolean {
  const header = req.headers.origin;
  if (header === undefined) return true;
  const origin = parseOrigin(header);
  if (!origin) return false;
  if (config.allowedOrigins.includes(origin.origin)) return true;
  if (config.publicUrl && parseOrigin(config.publicUrl)?.origin === origin.origin) return true;
  // Same origin as the request itself. The scheme is not compared: behind a TLS proxy the
  // server sees http for an https page.
  const host = req.headers.host?.toLowerCase();
  return host !== undefined && (host === origin.host || host === withDefaultPort(origin));
}

/** Socket.IO's `allowRequest(req, callback)` applying `isOriginAllowed`. */
export function socketIoAllowRequest(config: Pick<ServerConfig, 'publicUrl' | 'allowedOrigins'>) {
  return (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
    const allowed = isOriginAllowed(req, config);
    callback(allowed ? null : 'origin not allowed', allowed);
  };
}

function parseOrigin(value: string): URL | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** "host:443" for https://host (URL.host drops a default port; a Host header may keep it). */
function withDefaultPort(url: URL): string {
  if (url.port !== '') return url.host;
  return `${url.hostname}:${url.protocol === 'https:' ? 443 : 80}`;
}
