import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { BoardDirectory } from './board-directory';
import type { ServerConfig } from './config';
import { DocSeal } from './doc-seal';
import { handleApi } from './http-api';
import { createLogger, type Logger } from './logger';
import { SessionServer } from './session-server';
import { lockDataDir } from './storage/data-dir-lock';
import { SqliteStore } from './storage/sqlite-store';
import type { BoardStore } from './storage/types';
import { loadTemplates } from './templates';
import { YJS_PATH_PREFIX, YjsServer } from './yjs-server';

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
  now?: () => Date;
}

/** Project root: where next.config.ts and app/ live. */
const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * Builds and starts the whole server on one port: the Next.js UI, REST under /api, the
 * board document at /yjs/<room>, and Socket.IO at /socket.io. Tests call it with port 0.
 */
export async function createServer(config: ServerConfig, deps: ServerDeps = {}): Promise<AppServer> {
  const log = deps.log ?? createLogger(config.logLevel);
  const now = deps.now ?? (() => new Date());
  // One server per data directory: refuse to start rather than share the store.
  const dirLock = deps.store ? null : lockDataDir(config.dataDir);
  let store: BoardStore;
  try {
    store =
      deps.store ??
      new SqliteStore(path.join(config.dataDir, 'decision-board.sqlite'), {
        synchronous: config.sqliteSynchronous,
      });
  } catch (err) {
    dirLock?.release();
    throw err;
  }
  let seal: DocSeal;
  try {
    seal = new DocSeal(await store.serverSecret());
  } catch (err) {
    await store.close();
    dirLock?.release();
    throw err;
  }
  const directory = new BoardDirectory(store, loadTemplates(), seal);

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

  const httpServer = http.createServer();
  const session = new SessionServer(httpServer, store, directory, log, now);
  const yjs = new YjsServer(
    store,
    directory,
    seal,
    {
      onCommitted: (boardId, clocks) => session.noticeCommitted(boardId, clocks),
      policy: (boardId) => session.docPolicy(boardId),
      prepare: (boardId) => session.prepareBoard(boardId),
      onConnected: (boardId, participantId) => session.sendSavedNotice(boardId, { participantId }),
    },
    log,
  );
  session.attachDocuments(yjs);

  httpServer.on('request', (req, res) => {
    // Socket.IO answers its own path; everything else is ours.
    if (req.url?.startsWith('/socket.io/')) return;
    void handleApi(req, res, { directory, store, yjs, log, publicUrl: config.publicUrl, now }).then(
      async (handled) => {
        if (handled) return;
        if (uiHandler) await uiHandler(req, res);
        else {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('not found');
        }
      },
    );
  });
  httpServer.on('upgrade', (req, socket, head) => {
    const url = req.url ?? '';
    if (url.startsWith(YJS_PATH_PREFIX)) yjs.handleUpgrade(req, socket, head);
    else if (url.startsWith('/socket.io/')) return;
    else if (uiUpgrade) void uiUpgrade(req, socket, head);
    else socket.destroy();
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
        // io.close() also closes httpServer, which waits for open connections: end them.
        const sessionClosed = session.close();
        httpServer.closeAllConnections();
        await sessionClosed;
        await store.close();
        dirLock?.release();
      })();
      return closing;
    },
  };
}
