import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { type JoinResult, PROTOCOL_VERSION, type Result } from '@/lib/protocol';
import { HocuspocusSocket } from './hocuspocus-socket';
import type { ServerProcess } from './proc';

/** One standard y-websocket client (WebsocketProvider on its own Y.Doc), in this process. */
export interface BenchClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
}

// 500 providers each add a process 'exit' listener.
process.setMaxListeners(0);

/**
 * Our boards' viewer keys, by board id. Our `/yjs` opens a board id only with participant
 * credentials; a client that only reads opens the board as a viewer, by its viewer key.
 */
const viewerKeys = new Map<string, string>();
export function rememberBoard(id: string, viewerKey: string): void {
  viewerKeys.set(id, viewerKey);
}

/**
 * A client that reads the board (on our server: as a viewer). `params` are the document
 * connection's query (a participant's credentials: see `participantParams`).
 */
export function openClient(
  server: Pick<ServerProcess, 'kind' | 'wsBase'>,
  room: string,
  doc = new Y.Doc(),
  params?: Record<string, string>,
): BenchClient {
  const WS = server.kind === 'hocuspocus' ? HocuspocusSocket : WebSocket;
  const viewerKey = server.kind === 'ours' && !params ? viewerKeys.get(room) : undefined;
  const provider = new WebsocketProvider(server.wsBase, viewerKey ?? room, doc, {
    WebSocketPolyfill: WS as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: 1000,
    ...(params ? { params } : {}),
  });
  return { doc, provider };
}

/**
 * The document address a reader of `room` connects to, as WebsocketProvider builds it (on our
 * server: the board's viewer key as the room name), for raw receivers.
 */
export function receiverUrl(server: Pick<ServerProcess, 'kind' | 'wsBase'>, room: string): string {
  const name = (server.kind === 'ours' ? viewerKeys.get(room) : undefined) ?? room;
  return `${server.wsBase.replace(/\/+$/, '')}/${name}`;
}

/** Joins one of our boards on the session channel and returns its document credentials. */
export async function participantParams(
  server: ServerProcess,
  boardId: string,
): Promise<Record<string, string>> {
  const socket = io(server.httpBase, { transports: ['websocket'], forceNew: true, reconnection: false });
  try {
    const r = await new Promise<Result<JoinResult>>((resolve) =>
      socket.emit(
        'board:join',
        { as: 'participant', boardId, name: 'Bench writer', protocolVersion: PROTOCOL_VERSION },
        resolve,
      ),
    );
    if (!r.ok || !r.data.credentials) throw new Error(`join: ${r.ok ? 'no credentials' : r.error.message}`);
    return { participant: r.data.credentials.participantId, token: r.data.credentials.token };
  } finally {
    socket.disconnect();
  }
}

/** Resolves once the provider has finished its initial sync. */
export function whenSynced(client: BenchClient, timeoutMs = 20_000): Promise<void> {
  if (client.provider.synced) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.provider.off('sync', onSync);
      reject(new Error(`client did not sync within ${timeoutMs} ms (${client.provider.url})`));
    }, timeoutMs);
    const onSync = (synced: boolean) => {
      if (!synced) return;
      clearTimeout(timer);
      client.provider.off('sync', onSync);
      resolve();
    };
    client.provider.on('sync', onSync);
  });
}

export function closeClient(client: BenchClient): void {
  client.provider.destroy();
  client.doc.destroy();
}

/** The permessage-deflate (or other) extensions negotiated by a connected client. */
export function negotiatedExtensions(client: BenchClient): string {
  const ws = client.provider.ws as unknown as { extensions?: string } | null;
  return ws?.extensions ?? '';
}

/** Creates boards on our server through the public REST API; returns their ids (= room names). */
export async function createBoards(server: ServerProcess, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${server.httpBase}/api/boards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ template: 'django-vs-node' }),
    });
    if (res.status !== 201) throw new Error(`POST /api/boards: ${res.status} ${await res.text()}`);
    const board = (await res.json()) as { id: string; viewerKey: string };
    rememberBoard(board.id, board.viewerKey);
    ids.push(board.id);
  }
  return ids;
}
