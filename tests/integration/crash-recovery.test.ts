import fs from 'node:fs';
import { io as ioClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { readBoard, setMetaText, updateCriterion } from '@/lib/board-schema';
import {
  type CreateBoardResponse,
  type DocSavedPayload,
  EVENTS,
  type JoinResult,
  type Result,
} from '@/lib/protocol';
import { command, docParams, type TestSocket, tempDataDir, waitFor } from '../helpers/server';
import { freePort, startServerProcess } from '../helpers/server-process';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * Joins the board as a new participant, then opens its document with those credentials.
 * With `keepSession`, the session socket stays open and records the committed clocks it is
 * told of (`doc:saved`).
 */
async function connect(url: string, room: string, options: { keepSession?: boolean } = {}) {
  const socket: TestSocket = ioClient(url, { transports: ['websocket'] });
  const saved = new Map<number, number>();
  socket.on(EVENTS.docSaved, (p: DocSavedPayload) => {
    for (const [c, clock] of Object.entries(p.stateVector)) {
      saved.set(Number(c), Math.max(clock, saved.get(Number(c)) ?? 0));
    }
  });
  const joined = await command<Result<JoinResult>>(socket, EVENTS.boardJoin, {
    as: 'participant',
    boardId: room,
    name: 'Writer',
  });
  if (options.keepSession) cleanups.push(() => void socket.disconnect());
  else socket.disconnect();
  if (!joined.ok || !joined.data.credentials) throw new Error('join failed');
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${url.replace(/^http/, 'ws')}/yjs`, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: 100,
    params: docParams(joined.data.credentials),
  });
  cleanups.push(() => {
    provider.destroy();
    doc.destroy();
  });
  return { doc, provider, socket, saved };
}

/** True when every (client id, clock) of the document's state vector is in `saved`. */
function allSaved(doc: Y.Doc, saved: Map<number, number>): boolean {
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(doc))) {
    if ((saved.get(client) ?? 0) < clock) return false;
  }
  return true;
}

/** A real server process on its own data directory, with one default board. */
async function serverWithBoard() {
  const dataDir = tempDataDir();
  const port = await freePort();
  const server = await startServerProcess({ port, dataDir, ui: false });
  const res = await fetch(`${server.url}/api/boards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ template: 'django-vs-node' }),
  });
  // One object, returned as it is: a test that restarts the server replaces `run.server`, and
  // the cleanup must stop that one (a copy here once left every restarted server running).
  const run = { server, dataDir, port, board: (await res.json()) as CreateBoardResponse };
  cleanups.push(async () => {
    await run.server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return run;
}

describe('crash recovery of a real server process', () => {
  it('[D5] after kill -9 with every client gone (nothing can be re-uploaded), everything reported saved is there', async () => {
    const run = await serverWithBoard();
    const { board, dataDir, port } = run;
    const a = await connect(run.server.url, board.id, { keepSession: true });
    await waitFor(() => a.provider.synced, 'synced');
    for (let i = 0; i < 50; i++) {
      updateCriterion(a.doc, 'security', { description: `edit ${i}` });
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    setMetaText(a.doc, 'title', 'Saved before the crash');
    await waitFor(() => allSaved(a.doc, a.saved), 'every edit reported saved', 10_000);
    const reportedSaved = readBoard(a.doc);
    // Everyone goes away first: no client is left to upload the board again after the restart.
    a.provider.destroy();
    a.socket.disconnect();

    await run.server.kill9();
    run.server = await startServerProcess({ port, dataDir, ui: false });
    const fresh = await connect(run.server.url, board.id);
    await waitFor(() => fresh.provider.synced, 'fresh client synced', 10_000);
    expect(readBoard(fresh.doc)).toEqual(reportedSaved);
  });

  it('[D5] after kill -9, everything another client had received is still there', async () => {
    const run = await serverWithBoard();
    const { board, dataDir, port } = run;
    const a = await connect(run.server.url, board.id);
    const b = await connect(run.server.url, board.id);
    await waitFor(() => a.provider.synced && b.provider.synced, 'synced');
    for (let i = 0; i < 50; i++) updateCriterion(a.doc, 'security', { weight: (i % 7) + 1 });
    setMetaText(a.doc, 'title', 'Last edit before the crash');
    await waitFor(() => readBoard(b.doc).title === 'Last edit before the crash', 'b received the last edit');
    const seenByB = readBoard(b.doc);

    const crashedPid = run.server.child.pid!;
    await run.server.kill9();
    // The process that served the board is really gone (no wrapper left a server behind).
    expect(() => process.kill(crashedPid, 0)).toThrow();
    await expect(fetch(`${run.server.url}/healthz`)).rejects.toThrow();
    run.server = await startServerProcess({ port, dataDir, ui: false });
    expect(run.server.child.pid).not.toBe(crashedPid);
    const c = await connect(run.server.url, board.id);
    await waitFor(() => c.provider.synced, 'fresh client synced', 10_000);
    expect(readBoard(c.doc)).toEqual(seenByB);
    // And the clients that were connected reconnect by themselves.
    await waitFor(() => a.provider.wsconnected && b.provider.wsconnected, 'clients reconnected', 10_000);
  });
});
