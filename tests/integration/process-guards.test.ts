import fs from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDataDir, waitFor } from '../helpers/server';
import { type ServerProcess, startServerProcess } from '../helpers/server-process';

const PRELOAD = path.resolve(import.meta.dirname, '../helpers/reject-on-signal.mjs');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createNetServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

let server: ServerProcess | null = null;
const dataDir = tempDataDir();
afterEach(async () => {
  await server?.stop();
  server = null;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the server process', () => {
  it('[L1] logs an unhandled promise rejection and keeps serving /healthz', async () => {
    server = await startServerProcess({
      port: await freePort(),
      dataDir,
      ui: false,
      env: { LOG_LEVEL: 'info' },
      nodeArgs: ['--import', PRELOAD],
    });
    const running = server;
    running.child.kill('SIGUSR2');
    await waitFor(
      () => running.output().includes('unhandled rejection') || running.child.exitCode !== null,
      'the rejection to be logged or the process to exit',
      10_000,
    );
    expect(running.child.exitCode).toBe(null);
    expect(running.output()).toContain('test: a promise nobody awaited');
    const res = await fetch(`${running.url}/healthz`);
    expect(res.status).toBe(200);
    expect(running.child.exitCode).toBe(null);
  });
});
