import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/cluster';
import { databaseUrlFor, explainSkip, freshSchema } from '../helpers/postgres';
import { tempDataDir } from '../helpers/server';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs the real server with `env` until it exits; its exit code and everything it printed. */
function runServer(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
      cwd: ROOT,
      env: { ...process.env, HOST: '127.0.0.1', SERVE_UI: 'false', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    // Bounded: a server that keeps running instead of saying why is the failure.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not stop:\n${output}`));
    }, 45_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('starting with DATABASE_URL / REDIS_URL that do not answer', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('a database that does not answer stops the server with the reason, not a hang', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const unused = await freePort();
    const r = await runServer({
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      DATABASE_URL: `postgres://nobody:s3cret-password@127.0.0.1:${unused}/boards`,
    });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/cannot use the database or Redis: .*ECONNREFUSED/);
    expect(r.output).not.toContain('s3cret-password');
  }, 60_000);

  it.skipIf(explainSkip('Starting with a Redis that does not answer', ['TEST_DATABASE_URL']))(
    'a Redis that does not answer stops the server with the reason after a few attempts',
    async () => {
      const schema = await freshSchema();
      const dataDir = tempDataDir();
      dirs.push(dataDir);
      try {
        const r = await runServer({
          PORT: String(await freePort()),
          DATA_DIR: dataDir,
          DATABASE_URL: databaseUrlFor(schema.name),
          REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
        });
        expect(r.code).toBe(1);
        expect(r.output).toMatch(/cannot use the database or Redis: .*ECONNREFUSED/);
      } finally {
        await schema.drop();
      }
    },
    60_000,
  );
});
