import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDataDir } from '../helpers/server';
import { type ServerProcess, startServerProcess } from '../helpers/server-process';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createNetServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a second server on `dataDir` and resolves with its exit code and output. */
function runSecondServer(dataDir: string, port: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, SERVE_UI: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('one server per data directory', () => {
  let first: ServerProcess | null = null;
  let dataDir = '';
  afterEach(async () => {
    await first?.stop();
    first = null;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('[D10] a second server on the same DATA_DIR refuses to start with a clear message; the first keeps serving', async () => {
    dataDir = tempDataDir();
    first = await startServerProcess({ port: await freePort(), dataDir, ui: false });
    const second = await runSecondServer(dataDir, await freePort());
    expect(second.code).toBe(1);
    expect(second.output).toMatch(/another Decision Board server is already using the data directory/);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
  });

  it('[D10] after the holder is killed with SIGKILL, a new server starts on the same DATA_DIR', async () => {
    dataDir = tempDataDir();
    first = await startServerProcess({ port: await freePort(), dataDir, ui: false });
    await first.kill9();
    first = await startServerProcess({ port: await freePort(), dataDir, ui: false });
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
  });
});
