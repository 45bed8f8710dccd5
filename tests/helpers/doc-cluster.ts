import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import pg from 'pg';
import { createClient } from 'redis';
import { io as ioClient } from 'socket.io-client';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import {
  type CreateBoardResponse,
  type DocSavedPayload,
  EVENTS,
  type JoinResult,
  type Result,
} from '@/lib/protocol';
import { command, type DocCredentials, docParams, type TestSocket, tempDataDir, waitFor } from './server';
import { freePort, type ServerProcess, startServerProcess } from './server-process';

/**
 * Several real server processes on one Postgres database and one Redis (issue 13). Suites
 * read TEST_DATABASE_URL and TEST_REDIS_URL; each test gets a database of its own (created
 * here, dropped afterwards), so parallel files never share state.
 */
export const CLUSTER_DATABASE_URL = process.env.TEST_DATABASE_URL ?? '';
export const CLUSTER_REDIS_URL = process.env.TEST_REDIS_URL ?? '';

/** Why cluster suites are skipped, or null when they can run. */
export const clusterSkipReason: string | null =
  CLUSTER_DATABASE_URL && CLUSTER_REDIS_URL
    ? null
    : 'TEST_DATABASE_URL and TEST_REDIS_URL are not set (real Postgres and Redis needed; .ci/run sets them)';
if (clusterSkipReason) console.warn(`cluster suites skipped: ${clusterSkipReason}`);

export { freePort };

/** A fresh database on the test server; `drop()` removes it (closing what still uses it). */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `db_cluster_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: CLUSTER_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(CLUSTER_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: CLUSTER_DATABASE_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A Redis server of the test's own (to restart it), without persistence. */
export async function ownRedis(): Promise<{
  url: string;
  port: number;
  kill(): Promise<void>;
  start(): Promise<void>;
}> {
  const port = await freePort();
  const dir = tempDataDir();
  let child: ChildProcess | null = null;
  const start = async () => {
    const c = spawn(
      'redis-server',
      ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
      {
        stdio: 'ignore',
      },
    );
    child = c;
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    await waitForAsync(async () => {
      try {
        await client.connect();
        return true;
      } catch {
        return false;
      }
    }, 'redis-server answers');
    await client.quit();
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async kill() {
      const c = child;
      // Killed already (a process ended by a signal has no exit code, only a signal code).
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGKILL');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
    },
  };
}

/** Polls an async check until it is true; fails with `what` after `timeoutMs`. */
export async function waitForAsync(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface ClusterNode {
  url: string;
  port: number;
  server: ServerProcess;
}

/** One server process on the shared database and Redis. */
export async function startNode(databaseUrl: string, redisUrl: string, port?: number): Promise<ClusterNode> {
  const p = port ?? (await freePort());
  const dataDir = tempDataDir();
  const server = await startServerProcess({
    port: p,
    dataDir,
    ui: false,
    env: { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl },
  });
  return { url: server.url, port: p, server };
}

export async function createBoard(url: string): Promise<CreateBoardResponse> {
  const res = await fetch(`${url}/api/boards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ template: 'django-vs-node' }),
  });
  if (res.status !== 201) throw new Error(`create board failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as CreateBoardResponse;
}

/** A participant's credentials, joined through `url`. */
export async function join(url: string, boardId: string, name = 'Writer'): Promise<DocCredentials> {
  const socket: TestSocket = ioClient(url, { transports: ['websocket'] });
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

export interface DocClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
  credentials: DocCredentials;
  /** Moves this client (same doc, same credentials) to another process, as a load balancer would. */
  moveTo(url: string): void;
  destroy(): void;
}

/** A standard y-websocket client of `boardId` through `url` (a process or the load balancer). */
export function docClient(
  url: string,
  boardId: string,
  credentials: DocCredentials,
  doc = new Y.Doc(),
): DocClient {
  const open = (u: string) =>
    new WebsocketProvider(`${u.replace(/^http/, 'ws')}/yjs`, boardId, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      maxBackoffTime: 200,
      params: docParams(credentials),
    });
  const client: DocClient = {
    doc,
    provider: open(url),
    credentials,
    moveTo(u: string) {
      client.provider.destroy();
      client.provider = open(u);
    },
    destroy() {
      client.provider.destroy();
      doc.destroy();
    },
  };
  return client;
}

/** A session socket that records every committed clock it is told of (`doc:saved`). */
export function savedWatcher(url: string, boardId: string, credentials: DocCredentials) {
  const saved = new Map<number, number>();
  const socket: TestSocket = ioClient(url, { transports: ['websocket'] });
  socket.on(EVENTS.docSaved, (p: DocSavedPayload) => {
    for (const [c, clock] of Object.entries(p.stateVector)) {
      saved.set(Number(c), Math.max(clock, saved.get(Number(c)) ?? 0));
    }
  });
  const joined = command<Result<JoinResult>>(socket, EVENTS.boardJoin, {
    as: 'participant',
    boardId,
    name: 'Watcher',
    participantId: credentials.participantId,
    token: credentials.token,
  });
  return { saved, socket, joined };
}

/** True when every (client id, clock) of the document's state vector is in `saved`. */
export function allSaved(doc: Y.Doc, saved: Map<number, number>): boolean {
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(doc))) {
    if ((saved.get(client) ?? 0) < clock) return false;
  }
  return true;
}

/** Both documents hold the same content. */
export function sameContent(a: Y.Doc, b: Y.Doc): boolean {
  return Buffer.from(Y.encodeStateVector(a)).equals(Buffer.from(Y.encodeStateVector(b)));
}

export { waitFor };
