import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { MemReply } from '../servers/ipc';

export type ServerKind = 'ours' | 'hocuspocus' | 'classic';

export const SERVER_KINDS: ServerKind[] = ['ours', 'hocuspocus', 'classic'];

export const SERVER_LABEL: Record<ServerKind, string> = {
  ours: 'ours (SQLite, commit before relay)',
  hocuspocus: 'Hocuspocus 4 + SQLite ext.',
  classic: 'classic y-websocket (memory)',
};

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat counts CPU time in these ticks.

export interface StartOptions {
  /** Start the child with --expose-gc so memory samples follow a full GC. */
  exposeGc?: boolean;
  /** Write a V8 CPU profile of the child into this directory (--cpu-prof). */
  cpuProfDir?: string;
  /** Data directory (ours: SQLite file; Hocuspocus: its SQLite file). Default: a new temp dir. */
  dataDir?: string;
}

/** A server under test, in its own process, reached on 127.0.0.1. */
export class ServerProcess {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: unknown) => void>();
  private exited = false;
  private readonly exitPromise: Promise<void>;

  constructor(
    readonly kind: ServerKind,
    readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
  ) {
    child.on('message', (raw: unknown) => {
      const msg = raw as { id?: number };
      if (typeof msg.id !== 'number') return;
      const resolve = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      resolve?.(msg);
    });
    this.exitPromise = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once('exit', () => {
        this.exited = true;
        resolve();
      });
    });
  }

  get httpBase(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The base URL a y-websocket provider appends `/<room>` to. */
  get wsBase(): string {
    return this.kind === 'ours' ? `ws://127.0.0.1:${this.port}/yjs` : `ws://127.0.0.1:${this.port}`;
  }

  /** CPU seconds (user + system, all threads) the child has used so far. */
  cpuSeconds(): number {
    const stat = fs.readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  }

  private request<T>(type: 'mem' | 'rooms', timeoutMs = 10_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.kind}: no answer to ${type}`));
      }, timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply as T);
      });
      this.child.send({ id, type });
    });
  }

  /** Memory after two full GCs (when started with exposeGc) and the loaded room count. */
  mem(): Promise<MemReply> {
    return this.request<MemReply>('mem');
  }

  async rooms(): Promise<number> {
    return (await this.request<{ rooms: number }>('rooms')).rooms;
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 8000);
      await this.exitPromise;
      clearTimeout(timer);
    }
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `decision-board-bench-${prefix}-`));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts one server under test in a child process and waits until it listens. */
export async function startServer(kind: ServerKind, options: StartOptions = {}): Promise<ServerProcess> {
  const ownsDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? tempDir(kind);
  const nodeFlags: string[] = [];
  if (options.exposeGc) nodeFlags.push('--expose-gc');
  if (options.cpuProfDir) nodeFlags.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfDir);
  const stdio: ('ignore' | 'pipe' | 'ipc')[] = ['ignore', 'pipe', 'pipe', 'ipc'];
  let child: ChildProcess;
  let port: number;
  if (kind === 'classic') {
    port = await freePort();
    child = spawn(
      process.execPath,
      [
        ...nodeFlags,
        '--require',
        path.join(ROOT, 'bench/servers/classic-preload.cjs'),
        path.join(ROOT, 'node_modules/y-websocket-classic/bin/server.js'),
      ],
      { cwd: ROOT, stdio, env: { ...process.env, HOST: '127.0.0.1', PORT: String(port) } },
    );
    await waitForOutput(child, /running at/, kind);
  } else {
    child = spawn(
      process.execPath,
      [...nodeFlags, '--import', 'tsx', path.join(ROOT, `bench/servers/${kind}.ts`)],
      {
        cwd: ROOT,
        stdio,
        env: { ...process.env, BENCH_DATA_DIR: dataDir, NODE_ENV: 'production' },
      },
    );
    port = await waitForReady(child, kind);
  }
  return new ServerProcess(kind, child, port, dataDir, ownsDataDir);
}

function collectStderr(child: ChildProcess): () => string {
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  return () => err;
}

function waitForReady(child: ChildProcess, kind: ServerKind): Promise<number> {
  const stderr = collectStderr(child);
  child.stdout?.resume();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} did not start in 30 s: ${stderr()}`)), 30_000);
    child.on('message', (raw: unknown) => {
      const msg = raw as { type?: string; port?: number };
      if (msg.type === 'ready' && typeof msg.port === 'number') {
        clearTimeout(timer);
        resolve(msg.port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} exited (${code}) before it was ready: ${stderr()}`));
    });
  });
}

function waitForOutput(child: ChildProcess, pattern: RegExp, kind: ServerKind): Promise<void> {
  const stderr = collectStderr(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${kind} did not start in 30 s: ${stderr()}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} exited (${code}) before it was ready: ${stderr()}`));
    });
  });
}
