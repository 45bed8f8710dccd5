import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { HTTP_LIMITS } from '@/lib/limits';
import { ERROR_CODES } from '@/lib/protocol';
import type { ServerConfig } from '@/server/config';
import { type AppServer, createServer } from '@/server/create-server';
import { createLogger } from '@/server/logger';
import { tempDataDir, testConfig } from '../helpers/server';

/** A real server with the real REST rate limits, on a clock the test moves by hand. */
let server: AppServer | null = null;
let dataDir = '';
let clockMs = Date.parse('2026-03-02T09:00:00Z');
async function start(overrides: Partial<ServerConfig> = {}): Promise<AppServer> {
  dataDir = tempDataDir();
  server = await createServer(testConfig(dataDir, overrides), {
    log: createLogger('silent'),
    now: () => new Date(clockMs),
  });
  return server;
}
afterEach(async () => {
  await server?.close();
  server = null;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function createBoard(s: AppServer, from?: string): Promise<Response> {
  return fetch(`${s.url}/api/boards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) },
    body: JSON.stringify({ template: 'blank' }),
  });
}

function boardCount(s: AppServer): number {
  const db = (s.store as unknown as { db: { prepare(q: string): { get(): { n: number } } } }).db;
  return db.prepare('SELECT COUNT(*) AS n FROM boards').get().n;
}

async function expectRateLimited(res: Response): Promise<number> {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(ERROR_CODES.RATE_LIMITED);
  expect(body.error.message).toMatch(/try again in \d+ s/);
  return retryAfter;
}

describe('POST /api/boards rate limits', () => {
  it('[L6] one address gets a small burst, then 429 with Retry-After and nothing stored, then may create again after waiting', async () => {
    const s = await start();
    for (let i = 0; i < HTTP_LIMITS.BOARD_CREATE_BURST_PER_ADDRESS; i++)
      expect((await createBoard(s)).status).toBe(201);
    const stored = boardCount(s);
    const retryAfter = await expectRateLimited(await createBoard(s));
    expect(boardCount(s)).toBe(stored);
    clockMs += retryAfter * 1000;
    expect((await createBoard(s)).status).toBe(201);
  });

  it('without TRUST_PROXY a forged X-Forwarded-For does not make a client someone else', async () => {
    const s = await start();
    for (let i = 0; i < HTTP_LIMITS.BOARD_CREATE_BURST_PER_ADDRESS; i++) {
      expect((await createBoard(s, `198.51.100.${i}`)).status).toBe(201);
    }
    await expectRateLimited(await createBoard(s, '198.51.100.200'));
  });

  it('behind a trusted proxy each client address has its own bucket', async () => {
    const s = await start({ trustProxyHops: 1 });
    for (let i = 0; i < HTTP_LIMITS.BOARD_CREATE_BURST_PER_ADDRESS; i++) {
      expect((await createBoard(s, '198.51.100.1')).status).toBe(201);
    }
    await expectRateLimited(await createBoard(s, '198.51.100.1'));
    expect((await createBoard(s, '198.51.100.2')).status).toBe(201);
  });

  it('[L6] a global cap holds across many addresses, so distributed clients cannot fill the disk', async () => {
    const s = await start({ trustProxyHops: 1 });
    for (let i = 0; i < HTTP_LIMITS.BOARD_CREATE_BURST_GLOBAL; i++) {
      expect((await createBoard(s, `10.1.${Math.floor(i / 200)}.${i % 200}`)).status).toBe(201);
    }
    const stored = boardCount(s);
    await expectRateLimited(await createBoard(s, '192.0.2.77'));
    expect(boardCount(s)).toBe(stored);
  });

  it('invalid requests do not spend the global budget', async () => {
    const s = await start({ trustProxyHops: 1 });
    for (let i = 0; i < HTTP_LIMITS.BOARD_CREATE_BURST_GLOBAL + 5; i++) {
      const res = await fetch(`${s.url}/api/boards`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.2.0.${i}` },
        body: '{"template": 42}',
      });
      expect(res.status).toBe(400);
    }
    expect((await createBoard(s, '192.0.2.78')).status).toBe(201);
  });
});

describe('board read rate limits', () => {
  it('the summary and decision.md share a per-address budget, answered 429 with Retry-After', async () => {
    const s = await start({ trustProxyHops: 1 });
    const board = (await (await createBoard(s, '198.51.100.9')).json()) as { id: string; viewerKey: string };
    const targets = [
      `/api/boards/${board.id}`,
      `/api/boards/${board.id}/decision.md`,
      `/api/view/${board.viewerKey}/decision.md`,
    ];
    const get = (i: number, from: string) =>
      fetch(`${s.url}${targets[i % targets.length]}`, { headers: { 'x-forwarded-for': from } });
    for (let i = 0; i < HTTP_LIMITS.BOARD_READ_BURST_PER_ADDRESS; i++) {
      const res = await get(i, '198.51.100.1');
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    for (let i = 0; i < targets.length; i++) await expectRateLimited(await get(i, '198.51.100.1'));
    // Someone else is unaffected; the limited client recovers after Retry-After.
    expect((await get(0, '198.51.100.2')).status).toBe(200);
    const retryAfter = await expectRateLimited(await get(0, '198.51.100.1'));
    clockMs += retryAfter * 1000;
    expect((await get(1, '198.51.100.1')).status).toBe(200);
  });
});
