import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import {
  type ClientToServerEvents,
  type CreateBoardResponse,
  EVENTS,
  type JoinResult,
  type Result,
  type ServerToClientEvents,
} from '@/lib/protocol';
import type { ServerConfig } from '@/server/config';
import { type AppServer, createServer, type ServerDeps } from '@/server/create-server';
import { createLogger, type Logger } from '@/server/logger';
import { SqliteStore } from '@/server/storage/sqlite-store';
import { HeldStore } from './held-store';

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
    databaseUrl: null,
    redisUrl: null,
    redisPrefix: 'decision-board',
    rateLimitRedisTimeoutMs: 250,
    ui: 'none',
    logLevel: 'silent',
    trustProxyHops: 0,
    allowedOrigins: [],
    ...overrides,
  };
}

const UNLIMITED = { capacity: 1e9, refillPerSecond: 1e9 };

/**
 * Deps for servers of tests that are not about REST rate limits: every test client comes
 * from 127.0.0.1, and suites create more boards than one address may. Rate limits are
 * tested with the real settings in tests/integration/http-rate-limits.test.ts.
 */
export function testDeps(): ServerDeps {
  return {
    log: createLogger('silent'),
    httpRateLimits: {
      boardCreatePerAddress: UNLIMITED,
      boardCreateGlobal: UNLIMITED,
      boardReadPerAddress: UNLIMITED,
    },
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

  /** The store a test holds (see held-store.ts), when started with `heldStore: true`. */
  held: HeldStore | null = null;

  /**
   * `options.now` replaces the server's clock (e.g. a `TestClock`), also across `restart()`;
   * `heldStore` puts the real store behind a HeldStore the test controls.
   */
  static async start(
    overrides: Partial<ServerConfig> = {},
    options: Omit<ServerDeps, 'log' | 'store'> & { heldStore?: boolean; log?: Logger } = {},
  ): Promise<TestEnv> {
    const env = new TestEnv();
    const { heldStore, log, ...deps } = options;
    env.deps = deps;
    const all: ServerDeps = { ...testDeps(), ...deps, ...(log ? { log } : {}) };
    if (heldStore) {
      env.held = new HeldStore(new SqliteStore(path.join(env.dataDir, 'decision-board.sqlite')));
      all.store = env.held.store;
    }
    env.server = await createServer(testConfig(env.dataDir, overrides), all);
    return env;
  }

  async restart(): Promise<void> {
    const port = this.server.port;
    await this.server.close();
    this.server = await createServer(testConfig(this.dataDir, { port }), { ...testDeps(), ...this.deps });
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

  /**
   * Joins a board on the session channel as a new participant (as a browser does before it
   * opens the document) and returns the credentials the document connection needs.
   */
  async participantCredentials(boardId: string, name = 'Doc client'): Promise<DocCredentials> {
    const socket = ioClient(this.url, { transports: ['websocket'] }) as TestSocket;
    try {
      const joined = await command<Result<JoinResult>>(socket, EVENTS.boardJoin, {
        as: 'participant',
        boardId,
        name,
      });
      if (!joined.ok || !joined.data.credentials) throw new Error(`join failed: ${JSON.stringify(joined)}`);
      return joined.data.credentials;
    } finally {
      socket.disconnect();
    }
  }

  /**
   * A standard y-websocket provider on its own Y.Doc, synced before it resolves. For a
   * board id it connects with participant credentials (given, or from a new join); for a
   * viewer key without any.
   */
  async provider(
    room: string,
    options: { sync?: boolean; credentials?: DocCredentials | null } = {},
  ): Promise<{ doc: Y.Doc; provider: WebsocketProvider; credentials: DocCredentials | null }> {
    let credentials = options.credentials ?? null;
    if (options.credentials === undefined && (await this.server.directory.getBoard(room))) {
      credentials = await this.participantCredentials(room);
    }
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(this.wsUrl, room, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      maxBackoffTime: 200,
      params: credentials ? docParams(credentials) : {},
    });
    this.disposers.push(() => {
      provider.destroy();
      doc.destroy();
    });
    if (options.sync !== false) await waitFor(() => provider.synced, 'provider synced');
    return { doc, provider, credentials };
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

export interface DocCredentials {
  participantId: string;
  token: string;
}

/** The query parameters of a participant's document connection (docs/PROTOCOL.md). */
export function docParams(c: DocCredentials): Record<string, string> {
  return { participant: c.participantId, token: c.token };
}

/** The /yjs address of a board for a raw WebSocket, with credentials when given. */
export function docUrl(env: TestEnv, room: string, c?: DocCredentials): string {
  const query = c ? `?${new URLSearchParams(docParams(c)).toString()}` : '';
  return `${env.wsUrl}/${room}${query}`;
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
