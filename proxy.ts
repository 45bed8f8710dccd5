import { type NextRequest, NextResponse } from 'next/server';

/**
 * The Content-Security-Policy of the UI, with a fresh nonce per page (Next.js 16 Proxy, the
 * successor of middleware). Next.js reads the nonce from the request's CSP header while it
 * renders and puts it on its own scripts, so every page is rendered per request (the root
 * layout awaits `connection()`).
 *
 * Scripts: only ours, by nonce; 'strict-dynamic' lets them load their chunks. Styles:
 * `<style>`/`<link>` by 'self' or nonce; style attributes (React `style={…}`, e.g. the grid
 * columns) need 'unsafe-inline' in style-src-attr, which cannot run code. style-src keeps
 * 'unsafe-inline' only as the fallback for browsers without the -elem/-attr directives.
 * Connections: this origin only (the /yjs WebSocket and Socket.IO). No framing (the board
 * id in the URL is a capability), no <base>, no plugins.
 */
export function contentSecurityPolicy(nonce: string, options: { dev: boolean; host: string | null }): string {
  // 'self' covers same-origin ws:/wss: in CSP 3; older Safari needs them spelled out.
  const sockets = options.host ? ` ws://${options.host} wss://${options.host}` : '';
  return [
    "default-src 'self'",
    // React's development build uses eval for its error overlay; production never does.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    // A nonce would disable 'unsafe-inline', which the development overlay's styles need.
    `style-src-elem 'self' ${options.dev ? "'unsafe-inline'" : `'nonce-${nonce}'`}`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A Host header safe to put in the policy (a host name or address and a port), or null. */
function policyHost(host: string | null): string | null {
  return host && /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/.test(host) ? host : null;
}

export function proxy(request: NextRequest): NextResponse {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const nonce = btoa(String.fromCharCode(...bytes));
  const policy = contentSecurityPolicy(nonce, {
    dev: process.env.NODE_ENV === 'development',
    host: policyHost(request.headers.get('host')),
  });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('x-nonce', nonce);
  requestHeaders.set('content-security-policy', policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('content-security-policy', policy);
  return response;
}

export const config = {
  matcher: [
    {
      // Pages only: not static files, and not the paths our own server answers.
      source: '/((?!_next/static|_next/image|favicon.ico|icon.svg|api/|healthz|yjs/|socket.io/).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
