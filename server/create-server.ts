import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import { BoardDirectory } from './board-directory';
import type { DocPolicy } from './board-room';
import { BoardSnapshots } from './board-snapshots';
import { clientAddress } from './client-address';
import { DocBus } from './cluster/doc-bus';
import { SharedTokenBuckets, type SharedTokenBucketsOptions } from './cluster/shared-rate-limit';
import type { ServerConfig } from './config';
import { DocSeal } from './doc-seal';
import {
  apiRoutePattern,
  DEFAULT_HTTP_TIMEOUTS,
  type HttpTimeouts,
  handleApi,
  requestPath,
} from './http-api';
import { type HttpRateLimitSettings, HttpRateLimits } from './http-rate-limits';
import { createLogger, type Logger, redactSecrets } from './logger';
import { isOriginAllowed, socketIoAllowRequest } from './origin';
import { SessionServer, type SessionServerOptions } from './session-server';
import { lockDataDir } from './storage/data-dir-lock';
import { PostgresStore } from './storage/postgres-store';
import { SqliteStore } from './storage/sqlite-store';
import type { BoardStore } from './storage/types';
import { loadTemplates } from './templates';
import { YJS_PATH_PREFIX, YjsServer, type YjsServerOptions } from './yjs-server';

export interface AppServer {
  url: string;
  port: number;
  store: BoardStore;
  yjs: YjsServer;
  session: SessionServer;
  directory: BoardDirectory;
  close(): Promise<void>;
}

export interface ServerDeps {
  store?: BoardStore;
  log?: Logger;
  /** The clock of board timestamps, rounds and rate limits (tests pass a fake one). */
  now?: () => Date;
  /** Shorter timeouts for tests of slow clients; defaults from HTTP_LIMITS. */
  httpTimeouts?: Partial<HttpTimeouts>;
  /** REST rate limits; defaults from HTTP_LIMITS (tests that create many boards lift them). */
  httpRateLimits?: Partial<HttpRateLimitSettings>;
  /** Unsent bytes kept per document connection; LIMITS.MAX_YJS_BUFFERED_BYTES (tests of slow readers lower it). */
  yjsMaxBufferedBytes?: number;
  /** Session per-address limits; defaults from LIMITS (the bench lifts them). */
  sessionAddressLimits?: SessionServerOptions['addressLimits'];
  /** New document connections per address; defaults from LIMITS (the bench lifts it). */
  yjsConnectsPerAddress?: YjsServerOptions['connectsPerAddress'];
  /** With REDIS_URL: how long the shared rate limits wait for Redis; defaults in SHARED_LIMITS. */
  sharedLimitTimings?: Omit<SharedTokenBucketsOptions, 'close'>;
}

/** The document policy of a board whose session is not loaded: read-only, structure frozen. */
const CLOSED_POLICY: DocPolicy = {
  writable: false,
  roundOpen: true,
  structureEditors: 'facilitator',
  isFacilitator: () => false,
};

/** Project root: where next.config.ts and app/ live. */
const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * Builds and starts the whole server on one port: the Next.js UI, REST under /api, the
 * board document at /yjs/<room>, and Socket.IO at /socket.io. Tests call it with port 0.
 */
export async function createServer(config: ServerConfig, deps: ServerDeps = {}): Promise<AppServer> {
  const log = deps.log ?? createLogger(config.logLevel);
  const now = deps.now ?? (() => new Date());
  // One server per data directory: refuse to start rather than share the store. Postgres is
  // shared by design (several processes): it has no directory to lock.
  const usePostgres = !deps.store && config.databaseUrl !== null;
  const dirLock = deps.store || usePostgres ? null : lockDataDir(config.dataDir);
  const file = path.join(config.dataDir, 'decision-board.sqlite');
  let store: BoardStore | null = null;
  let seal: DocSeal;
  let fanOut: FanOut | null = null;
  let sharedLimits: SharedTokenBuckets | null = null;
  try {
    store =
      deps.store ??
      (config.databaseUrl
        ? await PostgresStore.open({ connectionString: config.databaseUrl })
        : new SqliteStore(file, { synchronous: config.sqliteSynchronous }));
    seal = new DocSeal(await store.serverSecret());
    if (config.redisUrl) {
      fanOut = await connectFanOut(config.redisUrl, config.redisPrefix, log);
      // Per-board command limits hold across processes (SPEC S9).
      sharedLimits = await SharedTokenBuckets.connect(config.redisUrl, config.redisPrefix, log, {
        timeoutMs: config.rateLimitRedisTimeoutMs,
        ...deps.sharedLimitTimings,
      });
    } else if (usePostgres) {
      log.info(
        'DATABASE_URL without REDIS_URL: run one process only (nothing tells other processes of changes)',
      );
    }
  } catch (err) {
    await fanOut?.close();
    await sharedLimits?.close();
    await store?.close().catch(() => {});
    dirLock?.release();
    const message = redactSecrets(err instanceof Error ? err.message : String(err));
    throw new Error(
      deps.store
        ? message
        : usePostgres
          ? `cannot use the database or Redis: ${message}`
          : `cannot open the store ${file}: ${message}`,
    );
  }
  const directory = new BoardDirectory(store, loadTemplates(), seal);
  // The document channel between processes needs gapless per-board sequence numbers: the
  // Postgres store (a test may pass it wrapped, with DATABASE_URL set). SQLite is one process
  // by design; its data directory is locked.
  let bus: DocBus | null = null;
  if (config.redisUrl && config.databaseUrl !== null) {
    try {
      bus = await DocBus.connect(config.redisUrl, config.redisPrefix, log);
    } catch (err) {
      await fanOut?.close();
      await sharedLimits?.close();
      await store.close().catch(() => {});
      throw new Error(`cannot use Redis: ${redactSecrets(err instanceof Error ? err.message : String(err))}`);
    }
  }

  let uiHandler: ((req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>) | null = null;
  let uiUpgrade:
    | ((req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => Promise<void>)
    | null = null;
  if (config.ui !== 'none') {
    const { default: next } = await import('next');
    const app = next({
      dev: config.ui === 'development',
      dir: ROOT,
      hostname: 'localhost',
      port: config.port,
    });
    await app.prepare();
    const handle = app.getRequestHandler();
    uiHandler = (req, res) => handle(req, res);
    if (config.ui === 'development') uiUpgrade = app.getUpgradeHandler();
  }

  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...deps.httpTimeouts };
  const httpServer = http.createServer({
    // Node's defaults (60 s for headers, 300 s per request, checked every 30 s) let a few
    // slow clients hold sockets for minutes.
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionsCheckingInterval: timeouts.timeoutCheckIntervalMs,
  });
  const rateLimits = new HttpRateLimits(deps.httpRateLimits, sharedLimits);
  const session = new SessionServer(httpServer, store, directory, log, now, {
    publicUrl: config.publicUrl,
    clientAddress: (req) => clientAddress(req, config),
    allowRequest: socketIoAllowRequest(config),
    ...(fanOut ? { adapter: fanOut.adapter, fanOut: fanOut.link } : {}),
    ...(deps.sessionAddressLimits ? { addressLimits: deps.sessionAddressLimits } : {}),
    ...(sharedLimits ? { sharedLimits } : {}),
  });
  const yjs = new YjsServer(
    store,
    directory,
    seal,
    {
      onCommitted: (boardId, clocks, structure) => session.noticeCommitted(boardId, clocks, structure),
      // Not loaded (cannot happen after `prepare`): nothing may be written.
      policy: (boardId) => session.docPolicy(boardId) ?? CLOSED_POLICY,
      prepare: (boardId) => session.prepareBoard(boardId),
      onConnected: (boardId, participantId) => session.sendSavedNotice(boardId, { participantId }),
    },
    log,
    {
      clientAddress: (req) => clientAddress(req, config),
      ...(deps.yjsMaxBufferedBytes ? { maxBufferedBytes: deps.yjsMaxBufferedBytes } : {}),
      ...(deps.yjsConnectsPerAddress ? { connectsPerAddress: deps.yjsConnectsPerAddress } : {}),
      bus,
    },
  );
  session.attachDocuments(yjs);

  const apiDeps = {
    directory,
    store,
    yjs,
    snapshots: new BoardSnapshots(store, yjs),
    log,
    publicUrl: config.publicUrl,
    now,
    rateLimits,
    trustProxyHops: config.trustProxyHops,
    bodyReadTimeoutMs: timeouts.bodyReadTimeoutMs,
  };
  const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (await handleApi(req, res, apiDeps)) return;
    if (uiHandler) await uiHandler(req, res);
    else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  };
  httpServer.on('request', (req, res) => {
    // Socket.IO answers its own path; everything else is ours.
    if (req.url?.startsWith('/socket.io/')) return;
    serve(req, res).catch((err: unknown) => {
      log.error('http error', { path: loggablePath(req.url), error: redactSecrets(String(err)) });
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error');
      } else res.destroy();
    });
  });
  httpServer.on('upgrade', (req, socket, head) => {
    const url = req.url ?? '';
    // Socket.IO handles its own upgrades (and must check Origin with its allowRequest option).
    if (url.startsWith('/socket.io/')) return;
    socket.on('error', () => socket.destroy());
    if (!isOriginAllowed(req, config)) {
      refuseUpgrade(socket, 403, 'Forbidden', 'this origin may not open board connections');
      return;
    }
    const failed = (err: unknown) => {
      log.error('upgrade error', { path: loggablePath(url), error: redactSecrets(String(err)) });
      socket.destroy();
    };
    try {
      if (url.startsWith(YJS_PATH_PREFIX)) yjs.handleUpgrade(req, socket, head);
      else if (uiUpgrade) uiUpgrade(req, socket, head).catch(failed);
      else socket.destroy();
    } catch (err) {
      failed(err);
    }
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let closing: Promise<void> | null = null;

  return {
    url: `http://${shownHost}:${port}`,
    port,
    store,
    yjs,
    session,
    directory,
    close() {
      closing ??= (async () => {
        await yjs.close();
        await bus?.close();
        // io.close() also closes httpServer, which waits for open connections: end them.
        const sessionClosed = session.close();
        httpServer.closeAllConnections();
        await sessionClosed;
        await fanOut?.close();
        await sharedLimits?.close();
        await store.close();
        dirLock?.release();
      })();
      return closing;
    },
  };
}

/** Redis for the session channel between processes: Socket.IO's Redis Streams adapter. */
export interface FanOut {
  adapter: NonNullable<SessionServerOptions['adapter']>;
  /** The channel's state as the session server needs it (see SessionServerOptions.fanOut). */
  link: NonNullable<SessionServerOptions['fanOut']>;
  close(): Promise<void>;
}

/** Attempts to reach Redis at start-up before the server gives up and says why. */
export const REDIS_START_ATTEMPTS = 10;

export async function connectFanOut(url: string, prefix: string, log: Logger): Promise<FanOut> {
  let connectedOnce = false;
  const reconnectStrategy = (retries: number, cause: Error) =>
    !connectedOnce && retries >= REDIS_START_ATTEMPTS ? cause : Math.min(100 * 2 ** retries, 2000);
  const client = createClient({
    url,
    // While Redis is away a publish (a notice to the other processes) fails at once instead of
    // waiting in node-redis's offline queue, which has no bound. Nothing correct depends on
    // those notices: the session server re-announces what it could not send and catches up
    // from the store when Redis is back (SessionServer.fanOutReturned).
    disableOfflineQueue: true,
    socket: {
      // At start-up, fail (and stop the server with the reason) rather than wait forever; once
      // up, keep reconnecting: Postgres holds everything, Redis only carries the notices.
      reconnectStrategy,
    },
  });
  // node-redis reconnects by itself; an error event without a listener would crash the process.
  let lastError = '';
  client.on('error', (err: unknown) => {
    const message = redactSecrets(err instanceof Error ? err.message : String(err));
    if (message !== lastError) log.error('redis error', { error: message });
    lastError = message;
  });
  client.on('ready', () => {
    connectedOnce = true;
    lastError = '';
  });
  // The adapter publishes with `publish` and drops the promise: a publish refused while Redis
  // is away would otherwise surface as an unhandled rejection. Those notices are re-sent.
  const publish = client.publish.bind(client);
  (client as { publish: typeof publish }).publish = (...args: Parameters<typeof publish>) => {
    const sent = publish(...args);
    sent.catch(() => {});
    return sent;
  };
  // The adapter reads with duplicates of this client: one blocking XREAD at a time and one
  // subscription. They keep the offline queue, which holds at most that one read while Redis
  // is away (without it a read refused at once would be retried at once, starving the process).
  const all: { isReady: boolean; on(event: 'ready', fn: () => void): unknown }[] = [client];
  const returned: (() => void)[] = [];
  // Down until every connection is ready: the adapter connects its readers after this returns,
  // and a notice dropped before then is sent once they are.
  let down = true;
  const onReady = () => {
    if (down && all.every((c) => c.isReady)) {
      down = false;
      for (const fn of returned) fn();
    }
  };
  const markDown = () => {
    down = true;
  };
  const watch = (c: { on(event: 'ready' | 'error' | 'reconnecting', fn: () => void): unknown }) => {
    c.on('error', markDown);
    c.on('reconnecting', markDown);
    c.on('ready', onReady);
  };
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((overrides?: Parameters<typeof duplicate>[0]) => {
    const copy = duplicate({ ...overrides, disableOfflineQueue: false });
    all.push(copy);
    watch(copy);
    return copy;
  }) as typeof client.duplicate;
  await client.connect();
  watch(client);
  return {
    adapter: createAdapter(client, {
      streamName: `${prefix}:socket.io`,
      channelPrefix: `${prefix}:socket.io`,
      sessionKeyPrefix: `${prefix}:socket.io:session:`,
    }),
    link: {
      isUp: () => !down && all.every((c) => c.isReady),
      onReturn: (fn) => returned.push(fn),
    },
    async close() {
      await client.close().catch(() => {});
    },
  };
}

/** A request target as it may be logged: capability-bearing paths reduced to their route. */
function loggablePath(target: string | undefined): string {
  const path = requestPath(target);
  if (path === null) return '(malformed)';
  if (path === '/healthz' || path.startsWith('/api/')) return apiRoutePattern(path);
  if (path.startsWith(YJS_PATH_PREFIX)) return `${YJS_PATH_PREFIX}…`;
  if (/^\/[bv]\//.test(path)) return `${path.slice(0, 3)}…`;
  return redactSecrets(path);
}

/** Answers a WebSocket upgrade with a plain HTTP error and closes the socket. */
function refuseUpgrade(socket: Duplex, status: number, reason: string, message: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}
