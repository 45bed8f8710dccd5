import fs from 'node:fs';
import path from 'node:path';
import { io as ioClient } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ERROR_CODES } from '@/lib/protocol';
import { type AppServer, createServer } from '@/server/create-server';
import { createLogger } from '@/server/logger';
import { SqliteStore } from '@/server/storage/sqlite-store';
import { rawRequest } from '../helpers/raw-http';
import { TestEnv, tempDataDir, testConfig } from '../helpers/server';

let env: TestEnv;
beforeAll(async () => {
  env = await TestEnv.start();
});
afterAll(async () => {
  await env.cleanup();
});

async function healthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/healthz`);
  return res.status === 200 && ((await res.json()) as { status: string }).status === 'ok';
}

describe('malformed request targets', () => {
  it('[L1] GET //[ (a target new URL cannot parse) is answered 400 bad_request and the server keeps serving', async () => {
    const res = await rawRequest(
      env.server.port,
      'GET //[ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: ERROR_CODES.BAD_REQUEST } });
    expect(await healthy(env.url)).toBe(true);
  });

  it.each([
    '/api/boards/%E0%A4%A',
    '/api/boards/%ZZ',
    '/api/boards/%E0%A4%A/decision.md',
    '/api/view/%ZZ/decision.md',
    '/b/%ZZ',
    '/v/%E0%A4%A',
  ])('bad percent-encoding in %s is answered 400 bad_request, never a 500', async (target) => {
    const res = await fetch(`${env.url}${target}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(ERROR_CODES.BAD_REQUEST);
    expect(body.error.message).toMatch(/percent-encoding/);
    expect(await healthy(env.url)).toBe(true);
  });
});

describe('slow clients', () => {
  let slow: AppServer;
  const dataDir = tempDataDir();
  beforeAll(async () => {
    slow = await createServer(testConfig(dataDir), {
      log: createLogger('silent'),
      httpTimeouts: {
        headersTimeoutMs: 400,
        requestTimeoutMs: 1500,
        bodyReadTimeoutMs: 300,
        timeoutCheckIntervalMs: 100,
      },
    });
  });
  afterAll(async () => {
    await slow.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('[L7] a POST whose body trickles in is answered 408 request_timeout and its connection is closed', async () => {
    const res = await rawRequest(
      slow.port,
      'POST /api/boards HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{',
      { trickle: { chunk: ' ', everyMs: 30 }, timeoutMs: 10_000, waitForClose: true },
    );
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: ERROR_CODES.REQUEST_TIMEOUT } });
    expect(res.closed).toBe(true);
    expect(await healthy(slow.url)).toBe(true);
  });

  it('a client that keeps trickling a body nobody reads is disconnected', async () => {
    const res = await rawRequest(
      slow.port,
      'POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n',
      { trickle: { chunk: ' ', everyMs: 30 }, timeoutMs: 10_000, waitForClose: true },
    );
    expect(res.status).toBe(405);
    expect(res.closed).toBe(true);
  });

  it('[L7] a client that never finishes its headers is cut off by the server', async () => {
    const res = await rawRequest(slow.port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n', {
      trickle: { chunk: 'X-Slow: 1\r\n', everyMs: 30 },
      timeoutMs: 10_000,
      waitForClose: true,
    });
    expect(res.status).toBe(408);
    expect(res.closed).toBe(true);
  });
});

describe('security headers on API responses', () => {
  it('JSON answers forbid sniffing, framing and sending the URL as a referrer', async () => {
    for (const target of ['/healthz', '/api/templates', '/api/boards/nope']) {
      const res = await fetch(`${env.url}${target}`);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    }
  });
});

/** Opens a WebSocket to /yjs/<room> and reports whether the upgrade went through. */
function upgrade(
  url: string,
  origin?: string,
): Promise<{ opened: true } | { opened: false; status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    ws.on('open', () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}

describe('Origin of WebSocket upgrades to /yjs', () => {
  it('[L10] a browser on a foreign origin gets 403 and no connection', async () => {
    const board = await env.createBoard('blank');
    expect(await upgrade(`${env.wsUrl}/${board.id}`, 'https://evil.example')).toEqual({
      opened: false,
      status: 403,
    });
    expect(await upgrade(`${env.wsUrl}/${board.id}`, 'null')).toEqual({ opened: false, status: 403 });
  });

  it('same-origin pages and clients without an Origin (scripts) connect', async () => {
    const board = await env.createBoard('blank');
    expect(await upgrade(`${env.wsUrl}/${board.id}`, env.url)).toEqual({ opened: true });
    expect(await upgrade(`${env.wsUrl}/${board.id}`)).toEqual({ opened: true });
  });

  describe('with PUBLIC_URL and ALLOWED_ORIGINS', () => {
    let configured: TestEnv;
    beforeAll(async () => {
      configured = await TestEnv.start({
        publicUrl: 'https://decide.example.com',
        allowedOrigins: ['https://intranet.example.org'],
      });
    });
    afterAll(async () => {
      await configured.cleanup();
    });

    it('the public origin and the listed origins connect; others still get 403', async () => {
      const board = await configured.createBoard('blank');
      const room = `${configured.wsUrl}/${board.id}`;
      expect(await upgrade(room, 'https://decide.example.com')).toEqual({ opened: true });
      expect(await upgrade(room, 'https://intranet.example.org')).toEqual({ opened: true });
      expect(await upgrade(room, 'https://decide.example.com.evil.example')).toEqual({
        opened: false,
        status: 403,
      });
    });
  });
});

describe('Origin of the Socket.IO session channel', () => {
  /** Resolves with 'connected' or the connect error's message. */
  function connectWith(origin: string | undefined, transport: 'websocket' | 'polling'): Promise<string> {
    const socket = ioClient(env.url, {
      transports: [transport],
      reconnection: false,
      ...(origin ? { extraHeaders: { origin } } : {}),
    });
    return new Promise((resolve) => {
      socket.on('connect', () => {
        socket.disconnect();
        resolve('connected');
      });
      socket.on('connect_error', (err) => {
        socket.disconnect();
        resolve(err.message);
      });
    });
  }

  it.each(['websocket', 'polling'] as const)(
    '[L10] over %s, a browser on a foreign origin cannot connect; same-origin and no-Origin clients can',
    async (transport) => {
      expect(await connectWith('https://evil.example', transport)).not.toBe('connected');
      expect(await connectWith(env.url, transport)).toBe('connected');
      expect(await connectWith(undefined, transport)).toBe('connected');
    },
  );
});

describe('the API error log', () => {
  let server: AppServer | null = null;
  const dataDir = tempDataDir();
  afterEach(async () => {
    await server?.close();
    server = null;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('[L11] names route patterns only: no board id or viewer key, even when the error text carries one', async () => {
    const real = new SqliteStore(path.join(dataDir, 'decision-board.sqlite'), { synchronous: 'NORMAL' });
    let failLoads = false;
    // A store whose document loads fail with the board id in the message, as a driver might.
    const store = new Proxy(real, {
      get(target, prop) {
        if (prop === 'loadDocument' && failLoads) {
          return async (boardId: string) => {
            throw new Error(`disk I/O error while reading board ${boardId}`);
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const lines: string[] = [];
    const capture =
      (level: string) =>
      (message: string, fields: Record<string, unknown> = {}) => {
        lines.push(JSON.stringify({ level, message, ...fields }));
      };
    server = await createServer(testConfig(dataDir), {
      store,
      log: { info: capture('info'), warn: capture('warn'), error: capture('error') },
    });
    const created = await fetch(`${server.url}/api/boards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ template: 'blank' }),
    });
    const board = (await created.json()) as { id: string; viewerKey: string };
    failLoads = true;

    const routes = [
      [`/api/view/${board.viewerKey}/decision.md`, '/api/view/…/decision.md'],
      [`/api/boards/${board.id}/decision.md`, '/api/boards/…/decision.md'],
      [`/api/boards/${board.id}`, '/api/boards/…'],
    ] as const;
    for (const [target, pattern] of routes) {
      const res = await fetch(`${server.url}${target}`);
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe('internal error');
      expect(lines.some((l) => l.includes(`"path":"${pattern}"`))).toBe(true);
    }
    // Positive control: the failures were logged, with their cause.
    expect(lines.filter((l) => l.includes('disk I/O error'))).toHaveLength(3);
    for (const line of lines) {
      expect(line).not.toContain(board.viewerKey);
      expect(line).not.toContain(board.id);
    }
  });
});
