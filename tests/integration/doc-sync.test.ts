import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import * as Y from 'yjs';
import { addCriterion, readBoard, readCriteria, setMetaText, updateCriterion } from '@/lib/board-schema';
import { LIMITS } from '@/lib/limits';
import { YJS_CLOSE } from '@/lib/protocol';
import { createServer } from '@/server/create-server';
import { docUrl, TestEnv, testConfig, testDeps, waitFor } from '../helpers/server';
import { rawDocSocket, updateMessage } from '../helpers/yjs-frames';

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

/**
 * Opens a raw WebSocket to /yjs/<room> (as a participant who joined, for a board id) and
 * resolves with its close code.
 */
async function rawSocket(
  room: string,
): Promise<{ ws: WebSocket; closed: Promise<number>; opened: Promise<void> }> {
  const credentials = (await env.server.directory.getBoard(room))
    ? await env.participantCredentials(room)
    : undefined;
  const raw = rawDocSocket(docUrl(env, room, credentials));
  return { ws: raw.ws, opened: raw.opened, closed: raw.closed.then((c) => c.code) };
}

describe('board document sync (standard y-websocket provider)', () => {
  it('[D8] two clients converge on each other’s edits', async () => {
    const board = await env.createBoard();
    const a = await env.provider(board.id);
    const b = await env.provider(board.id);
    setMetaText(a.doc, 'title', 'Backend for the payments service');
    updateCriterion(b.doc, 'performance', { weight: 5, name: 'Raw performance' });
    await waitFor(() => readBoard(b.doc).title === 'Backend for the payments service', 'b sees title');
    await waitFor(() => readCriteria(a.doc)[0]?.name === 'Raw performance', 'a sees rename');
    expect(readBoard(a.doc)).toEqual(readBoard(b.doc));
  });

  it('[D8] a client joining late gets the full state, including the template', async () => {
    const board = await env.createBoard();
    const a = await env.provider(board.id);
    addCriterion(a.doc, { id: 'ops', name: 'Operability', description: 'How easy to run', weight: 3 });
    await waitFor(() => readCriteria(a.doc).some((c) => c.id === 'ops'), 'local');
    // Relayed to another client means committed; then the writer leaves.
    const witness = await env.provider(board.id);
    await waitFor(() => readCriteria(witness.doc).some((c) => c.id === 'ops'), 'committed');
    a.provider.destroy();
    const late = await env.provider(board.id);
    const board1 = readBoard(late.doc);
    expect(board1.question).toBe('Which backend should we use: Django or Node.js?');
    expect(board1.options.map((o) => o.name)).toEqual(['Django', 'Node.js']);
    expect(board1.criteria.map((c) => c.id)).toContain('ops');
  });

  it('[D5] the board survives a server restart with nothing lost that another client had received', async () => {
    const board = await env.createBoard();
    const a = await env.provider(board.id);
    const b = await env.provider(board.id);
    for (let i = 0; i < 20; i++) updateCriterion(a.doc, 'cost', { weight: i % 10 });
    setMetaText(a.doc, 'question', 'Django or Node for payments?');
    await waitFor(() => readBoard(b.doc).question === 'Django or Node for payments?', 'b received');
    const received = readBoard(b.doc);
    await env.restart();
    const fresh = await env.provider(board.id);
    expect(readBoard(fresh.doc)).toEqual(received);
  });

  it('[D8] edits made while the server is down merge when it comes back', async () => {
    const board = await env.createBoard();
    const a = await env.provider(board.id);
    const port = env.server.port;
    await env.server.close();
    setMetaText(a.doc, 'title', 'Edited offline');
    await waitFor(() => !a.provider.wsconnected, 'a disconnected');
    env.server = await createServer(testConfig(env.dataDir, { port }), testDeps());
    await waitFor(() => a.provider.synced && a.provider.wsconnected, 'a reconnected', 10_000);
    const b = await env.provider(board.id);
    await waitFor(() => readBoard(b.doc).title === 'Edited offline', 'offline edit merged', 5000);
  });

  it('[L1] connecting to an unknown board is refused with the documented close code and creates nothing', async () => {
    const { closed } = await rawSocket('AAAAAAAAAAAAAAAAAAAAAA');
    expect(await closed).toBe(YJS_CLOSE.UNKNOWN_BOARD);
    const res = await fetch(`${env.url}/api/boards/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(res.status).toBe(404);
  });

  it('[L1] garbage bytes close that connection with BAD_MESSAGE; the board and other clients carry on', async () => {
    const board = await env.createBoard();
    const a = await env.provider(board.id);
    const before = readBoard(a.doc);
    const raw = await rawSocket(board.id);
    await raw.opened;
    // sync message (0), update (2), then a length prefix promising more bytes than follow
    raw.ws.send(Buffer.from([0, 2, 50, 1, 2, 3]));
    expect(await raw.closed).toBe(YJS_CLOSE.BAD_MESSAGE);
    const raw2 = await rawSocket(board.id);
    await raw2.opened;
    raw2.ws.send(Buffer.from([7, 7, 7]));
    expect(await raw2.closed).toBe(YJS_CLOSE.BAD_MESSAGE);
    const raw3 = await rawSocket(board.id);
    await raw3.opened;
    raw3.ws.send('a text frame');
    expect(await raw3.closed).toBe(YJS_CLOSE.BAD_MESSAGE);
    // still working for others, and nothing changed
    setMetaText(a.doc, 'title', 'after garbage');
    const b = await env.provider(board.id);
    await waitFor(() => readBoard(b.doc).title === 'after garbage', 'b sees edit');
    expect({ ...readBoard(b.doc), title: before.title }).toEqual(before);
  });

  it('[L1][L2] a structurally valid message whose update cannot be decoded is refused and nothing is stored', async () => {
    const board = await env.createBoard();
    const raw = await rawSocket(board.id);
    await raw.opened;
    // [sync=0][update=2][len=4][4 bytes of nonsense that Yjs cannot decode]
    raw.ws.send(Buffer.from([0, 2, 4, 0xff, 0xff, 0xff, 0xff]));
    expect(await raw.closed).toBe(YJS_CLOSE.BAD_MESSAGE);
    const stored = await env.server.store.loadDocument(board.id);
    expect(stored.updates.length).toBe(1); // only the template
  });

  it('[L4] a message over the size cap closes that connection with 1009', async () => {
    const board = await env.createBoard();
    const raw = await rawSocket(board.id);
    await raw.opened;
    raw.ws.send(Buffer.alloc(LIMITS.MAX_YJS_MESSAGE_BYTES + 10, 1));
    expect(await raw.closed).toBe(YJS_CLOSE.MESSAGE_TOO_BIG);
    const stored = await env.server.store.loadDocument(board.id);
    expect(stored.updates.length).toBe(1);
  });

  it('[L4] an update carrying an over-long string is refused and the board is unchanged', async () => {
    const board = await env.createBoard();
    const evil = new Y.Doc();
    evil.getMap('meta').set('title', 'x'.repeat(LIMITS.MAX_DOC_STRING_CHARS + 1));
    const update = Y.encodeStateAsUpdate(evil);
    const raw = await rawSocket(board.id);
    await raw.opened;
    raw.ws.send(updateMessage(update));
    expect(await raw.closed).toBe(YJS_CLOSE.UPDATE_REFUSED);
    const a = await env.provider(board.id);
    expect(readBoard(a.doc).title).toBe('Django or Node.js for our backend');
  });

  it('[L5] an idle board leaves memory after its last client goes', async () => {
    const board = await env.createBoard();
    const a = await env.provider(board.id);
    expect(env.server.yjs.loadedRoomCount).toBe(1);
    a.provider.destroy();
    await waitFor(() => env.server.yjs.loadedRoomCount === 0, 'room evicted');
  });
});

describe('storage compaction', () => {
  it('[D9] past the threshold, stored updates are folded into a snapshot and the board loads the same', async () => {
    const { COMPACT_AFTER_UPDATES } = await import('@/server/board-room');
    const board = await env.createBoard();
    const a = await env.provider(board.id);
    const b = await env.provider(board.id);
    const edits = COMPACT_AFTER_UPDATES + 50;
    // Two writers, so that each stays within the per-connection burst of messages.
    const c = await env.provider(board.id);
    for (let i = 0; i < edits; i++) updateCriterion(i % 2 ? a.doc : c.doc, 'cost', { weight: i % 100 });
    setMetaText(a.doc, 'title', 'after many edits');
    const sameState = (x: Y.Doc, y: Y.Doc) =>
      Buffer.from(Y.encodeStateVector(x)).equals(Buffer.from(Y.encodeStateVector(y)));
    await waitFor(() => sameState(a.doc, b.doc) && sameState(c.doc, b.doc), 'b has every edit', 15_000);
    await waitFor(() => env.server.yjs.loadedRoom(board.id) !== undefined, 'room loaded');
    await env.server.yjs.loadedRoom(board.id)!.flushed();
    const stored = await env.server.store.loadDocument(board.id);
    expect(stored.snapshot).not.toBeNull();
    expect(stored.updates.length).toBeLessThan(edits);
    const expected = readBoard(b.doc);
    await env.restart();
    const fresh = await env.provider(board.id);
    expect(readBoard(fresh.doc)).toEqual(expected);
  });

  it('[D9] a board stored with a long tail of updates (no compaction yet) loads whole and is compacted on load', async () => {
    const { COMPACT_AFTER_UPDATES } = await import('@/server/board-room');
    const board = await env.createBoard();
    // Updates written straight to storage, as if the process had died before compacting.
    const writer = new Y.Doc();
    const stored0 = await env.server.store.loadDocument(board.id);
    for (const u of stored0.updates) Y.applyUpdate(writer, u);
    writer.on('update', (u: Uint8Array) => {
      void env.server.store.appendUpdate(board.id, u);
    });
    for (let i = 0; i < COMPACT_AFTER_UPDATES + 100; i++) updateCriterion(writer, 'cost', { weight: i % 50 });
    setMetaText(writer, 'title', 'the last of many');
    const { doc } = await env.provider(board.id);
    expect(readBoard(doc)).toEqual(readBoard(writer));
    await env.server.yjs.loadedRoom(board.id)!.flushed();
    const stored = await env.server.store.loadDocument(board.id);
    expect(stored.snapshot).not.toBeNull();
    expect(stored.updates.length).toBe(0);
  });

  it('[D9] a room is ready before it folds a long tail: the fold comes next, ahead of any commit', async () => {
    const { COMPACT_AFTER_UPDATES } = await import('@/server/board-room');
    const board = await env.createBoard();
    const writer = new Y.Doc();
    for (const u of (await env.server.store.loadDocument(board.id)).updates) Y.applyUpdate(writer, u);
    writer.on('update', (u: Uint8Array) => {
      void env.server.store.appendUpdate(board.id, u);
    });
    for (let i = 0; i < COMPACT_AFTER_UPDATES + 10; i++) updateCriterion(writer, 'cost', { weight: i % 50 });
    // Read as soon as `ready` settles (better-sqlite3 reads synchronously): not folded yet.
    const atReady = await env.server.yjs.withDoc(board.id, () => env.server.store.loadDocument(board.id));
    expect(atReady.updates.length).toBeGreaterThan(COMPACT_AFTER_UPDATES);
    // withDoc awaited flushed(): the fold was in the room's queue and has run.
    const after = await env.server.store.loadDocument(board.id);
    expect(after.snapshot).not.toBeNull();
    expect(after.updates.length).toBe(0);
  });
});
