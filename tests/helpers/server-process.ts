import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGKILL: no shutdown hooks run, like a crash or `kill -9`. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the real server (`server/index.ts`) as a child process on `port`, as `npm start`
 * does after its build step, and resolves once /healthz answers.
 */
export async function startServerProcess(options: {
  port: number;
  dataDir: string;
  ui?: boolean;
  timeoutMs?: number;
  /** Extra environment variables (override the defaults above). */
  env?: Record<string, string>;
  /** Extra `node` arguments before the entry, e.g. another `--import`. */
  nodeArgs?: string[];
}): Promise<ServerProcess> {
  // `node --import tsx`, not the tsx CLI: the CLI runs the server in a grandchild process,
  // so a SIGKILL would hit the wrapper and leave the real server running.
  const child = spawn(process.execPath, ['--import', 'tsx', ...(options.nodeArgs ?? []), 'server/index.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(options.port),
      HOST: '127.0.0.1',
      DATA_DIR: options.dataDir,
      NODE_ENV: 'production',
      SERVE_UI: options.ui === false ? 'false' : 'true',
      LOG_LEVEL: 'silent',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => output,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A port nobody listens on right now (the OS picks it). Another process may still take it
 * before the server listens: startServerProcess says EADDRINUSE then, and callers that may
 * pick any port try another (see tests/e2e/fixtures.ts).
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
