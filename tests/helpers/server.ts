import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { ClientToServerEvents, CreateBoardResponse, ServerToClientEvents } from '@/lib/protocol';
import type { ServerConfig } from '@/server/config';
import { type AppServer, createServer, type ServerDeps } from '@/server/create-server';
import { createLogger } from '@/server/logger';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'decision-board-test-'));
}

export function testConfig(dataDir: string, overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    publicUrl: null,
    sqliteSynchronous: 'NORMAL',
    ui: 'none',
    logLevel: 'silent',
    ...overrides,
  };
}

/**
 * A real server on a free port with its own data directory, plus factories for real
 * clients; `cleanup()` closes every client, the server and removes the directory.
 */
export class TestEnv {
  server!: AppServer;
  readonly dataDir = tempDataDir();
  private readonly disposers: (() => void | Promise<void>)[] = [];
  private deps: Omit<ServerDeps, 'log'> = {};

  /** `deps.now` replaces the server's clock (e.g. a `TestClock`), also across `restart()`. */
  static async start(
    overrides: Partial<ServerConfig> = {},
    deps: Omit<ServerDeps, 'log'> = {},
  ): Promise<TestEnv> {
    const env = new TestEnv();
    env.deps = deps;
    env.server = await createServer(testConfig(env.dataDir, overrides), {
      ...deps,
      log: createLogger('silent'),
    });
    return env;
  }

  async restart(): Promise<void> {
    const port = this.server.port;
    await this.server.close();
    this.server = await createServer(testConfig(this.dataDir, { port }), {
      ...this.deps,
      log: createLogger('silent'),
    });
  }

  get url(): string {
    return this.server.url;
  }

  get wsUrl(): string {
    return `${this.server.url.replace(/^http/, 'ws')}/yjs`;
  }

  async createBoard(template = 'django-vs-node', title?: string): Promise<CreateBoardResponse> {
    const res = await fetch(`${this.url}/api/boards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(title ? { template, title } : { template }),
    });
    if (res.status !== 201) throw new Error(`create board failed: ${res.status} ${await res.text()}`);
    return (await res.json()) as CreateBoardResponse;
  }

  /** A standard y-websocket provider on its own Y.Doc, synced before it resolves. */
  async provider(
    room: string,
    options: { sync?: boolean } = {},
  ): Promise<{ doc: Y.Doc; provider: WebsocketProvider }> {
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(this.wsUrl, room, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      maxBackoffTime: 200,
    });
    this.disposers.push(() => {
      provider.destroy();
      doc.destroy();
    });
    if (options.sync !== false) await waitFor(() => provider.synced, 'provider synced');
    return { doc, provider };
  }

  /**
   * A Socket.IO client. `localAddress` (any 127.x.y.z on Linux) makes it connect from another
   * loopback address, to test limits per client address.
   */
  socket(options: { localAddress?: string } = {}): TestSocket {
    const socket: TestSocket = ioClient(this.url, {
      transports: ['websocket'],
      reconnectionDelay: 50,
      reconnectionDelayMax: 200,
      // Passed through to the `ws` client by engine.io-client.
      ...(options.localAddress ? ({ localAddress: options.localAddress } as object) : {}),
    });
    this.disposers.push(() => {
      socket.disconnect();
    });
    return socket;
  }

  async cleanup(): Promise<void> {
    for (const d of this.disposers.splice(0).reverse()) await d();
    await this.server.close();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Polls until `check()` is true; fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Emits a command and resolves with its acknowledgement. */
export function command<T>(socket: TestSocket, event: string, payload: unknown): Promise<T> {
  return new Promise((resolve) => {
    (socket.emit as (e: string, p: unknown, ack: (r: T) => void) => void)(event, payload, resolve);
  });
}
