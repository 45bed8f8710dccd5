import { describe, expect, it } from 'vitest';
import { isOriginAllowed, socketIoAllowRequest } from '@/server/origin';

const none = { publicUrl: null, allowedOrigins: [] as string[] };

function req(origin: string | undefined, host = 'localhost:3000') {
  return { headers: { host, ...(origin === undefined ? {} : { origin }) } };
}

describe('isOriginAllowed', () => {
  it.each([
    // [what, Origin, Host, config, allowed]
    ['no Origin (a script, not a browser)', undefined, 'localhost:3000', none, true],
    ['the same origin as the request', 'http://localhost:3000', 'localhost:3000', none, true],
    ['the same host behind a TLS proxy', 'https://decide.example.com', 'decide.example.com', none, true],
    [
      'a default port written out in Host',
      'https://decide.example.com',
      'decide.example.com:443',
      none,
      true,
    ],
    ['host names compare case-insensitively', 'http://LOCALHOST:3000', 'localhost:3000', none, true],
    ['another port is another origin', 'http://localhost:4000', 'localhost:3000', none, false],
    ['another site', 'https://evil.example', 'localhost:3000', none, false],
    ['a look-alike suffix', 'http://localhost:3000.evil.example', 'localhost:3000', none, false],
    ['Origin: null (sandboxed frame, file: page)', 'null', 'localhost:3000', none, false],
    ['not an http(s) origin', 'chrome-extension://abc', 'localhost:3000', none, false],
    [
      'PUBLIC_URL when the proxy rewrote Host',
      'https://decide.example.com',
      '127.0.0.1:3000',
      { publicUrl: 'https://decide.example.com', allowedOrigins: [] },
      true,
    ],
    [
      'an ALLOWED_ORIGINS entry',
      'https://intranet.example.org',
      'localhost:3000',
      { publicUrl: null, allowedOrigins: ['https://intranet.example.org'] },
      true,
    ],
    [
      'ALLOWED_ORIGINS compares the scheme',
      'http://intranet.example.org',
      'localhost:3000',
      { publicUrl: null, allowedOrigins: ['https://intranet.example.org'] },
      false,
    ],
  ] as const)('%s', (_what, origin, host, config, allowed) => {
    expect(
      isOriginAllowed(req(origin, host), { ...config, allowedOrigins: [...config.allowedOrigins] }),
    ).toBe(allowed);
  });

  it("socketIoAllowRequest answers Socket.IO's callback with the same decision", () => {
    const allow = socketIoAllowRequest(none);
    const answers: [unknown, boolean][] = [];
    const cb = (err: unknown, ok: boolean) => answers.push([err, ok]);
    allow(req('https://evil.example') as never, cb);
    allow(req(undefined) as never, cb);
    expect(answers).toEqual([
      ['origin not allowed', false],
      [null, true],
    ]);
  });
});
