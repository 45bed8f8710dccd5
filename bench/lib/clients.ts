import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { HocuspocusSocket } from './hocuspocus-socket';
import type { ServerProcess } from './proc';

/** One standard y-websocket client (WebsocketProvider on its own Y.Doc), in this process. */
export interface BenchClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
}

// 500 providers each add a process 'exit' listener.
process.setMaxListeners(0);

export function openClient(
  server: Pick<ServerProcess, 'kind' | 'wsBase'>,
  room: string,
  doc = new Y.Doc(),
): BenchClient {
  const WS = server.kind === 'hocuspocus' ? HocuspocusSocket : WebSocket;
  const provider = new WebsocketProvider(server.wsBase, room, doc, {
    WebSocketPolyfill: WS as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: 1000,
  });
  return { doc, provider };
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
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}
