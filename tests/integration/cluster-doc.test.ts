import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readBoard, setMetaText, setNotes, updateCriterion } from '@/lib/board-schema';
import { YJS_CLOSE } from '@/lib/protocol';
import {
  allSaved,
  CLUSTER_REDIS_URL,
  type ClusterNode,
  clusterSkipReason,
  createBoard,
  type DocClient,
  docClient,
  freshDatabase,
  join,
  ownRedis,
  sameContent,
  savedWatcher,
  startNode,
  waitFor,
} from '../helpers/doc-cluster';
import { docParams } from '../helpers/server';
import { awarenessMessage, rawDocSocket, updateMessage } from '../helpers/yjs-frames';

/**
 * The board document across several real server processes on one Postgres and one Redis
 * (issue 13): server/cluster/doc-bus.ts and the room's side of it in server/board-room.ts.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch (err) {
      console.warn('cleanup failed', err);
    }
  }
});

async function database(): Promise<string> {
  const db = await freshDatabase();
  cleanups.push(() => db.drop());
  return db.url;
}

async function node(databaseUrl: string, redisUrl = CLUSTER_REDIS_URL, port?: number): Promise<ClusterNode> {
  const n = await startNode(databaseUrl, redisUrl, port);
  cleanups.push(() => n.server.stop());
  return n;
}

async function client(n: ClusterNode, boardId: string, name = 'Writer'): Promise<DocClient> {
  const c = docClient(n.url, boardId, await join(n.url, boardId, name));
  cleanups.push(() => c.destroy());
  await waitFor(() => c.provider.synced, 'client synced', 15_000);
  return c;
}

/** Every client holds the same document. */
function converged(...clients: DocClient[]): boolean {
  const [first, ...rest] = clients;
  return !!first && rest.every((c) => sameContent(first.doc, c.doc));
}

/** A fresh client's copy, loaded from storage by `n`: what is really stored and served. */
async function freshCopy(n: ClusterNode, boardId: string): Promise<Y.Doc> {
  const c = await client(n, boardId, 'Fresh');
  return c.doc;
}

/** True when `doc` holds at least everything `stateVector` says. */
function covers(doc: Y.Doc, stateVector: Map<number, number>): boolean {
  const have = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (const [client, clock] of stateVector) if ((have.get(client) ?? 0) < clock) return false;
  return true;
}

const stateVectorOf = (doc: Y.Doc) => Y.decodeStateVector(Y.encodeStateVector(doc));

describe.skipIf(clusterSkipReason)('the board document across server processes', { timeout: 120_000 }, () => {
  it('[D18] edits made on either of two processes reach the clients of both; a third process loading the board late gets everything and its edits reach the others', async () => {
    const db = await database();
    const [n1, n2] = await Promise.all([node(db), node(db)]);
    const board = await createBoard(n1.url);
    const a = await client(n1, board.id);
    const b = await client(n2, board.id);

    setMetaText(a.doc, 'title', 'Written on one');
    await waitFor(
      () => readBoard(b.doc).title === 'Written on one',
      'b (process 2) got the edit from process 1',
    );
    updateCriterion(b.doc, 'security', { description: 'Written on two' });
    await waitFor(
      () => readBoard(a.doc).criteria.find((c) => c.id === 'security')?.description === 'Written on two',
      'a (process 1) got the edit from process 2',
    );
    // Both ways at once, many small batches: nothing is lost or out of order anywhere.
    for (let i = 0; i < 60; i++) {
      updateCriterion(a.doc, 'security', { weight: (i % 5) + 1 });
      setNotes(b.doc, `notes ${i}`);
      if (i % 6 === 5) await new Promise((r) => setTimeout(r, 5));
    }
    await waitFor(() => converged(a, b), 'both clients hold the same document', 15_000);

    const n3 = await node(db);
    const c = await client(n3, board.id);
    expect(readBoard(c.doc)).toEqual(readBoard(a.doc));
    setMetaText(c.doc, 'title', 'Written on three');
    await waitFor(
      () => readBoard(a.doc).title === 'Written on three' && readBoard(b.doc).title === 'Written on three',
      'the edit from process 3 reached processes 1 and 2',
    );
    await waitFor(() => converged(a, b, c), 'all three converge', 15_000);
  });

  it('[D12] across processes a Yjs client id stays with its first writer: its owner continues it on another process, nobody else can', async () => {
    const db = await database();
    const [n1, n2] = await Promise.all([node(db), node(db)]);
    const board = await createBoard(n1.url);
    const a = await client(n1, board.id, 'Owner');
    const b = await client(n2, board.id, 'Reader');
    setMetaText(a.doc, 'title', 'Owned by a');
    await waitFor(() => readBoard(b.doc).title === 'Owned by a', 'process 2 has a’s first edit');

    // a comes back through process 2 (the room there learnt a's id from the stream).
    a.moveTo(n2.url);
    await waitFor(() => a.provider.synced, 'a synced on process 2');
    setMetaText(a.doc, 'title', 'Still a, on process 2');
    await waitFor(
      () => readBoard(b.doc).title === 'Still a, on process 2',
      'a’s edit through process 2 accepted',
    );

    // Someone else, on process 2, writing with a's client id: refused and disconnected.
    const mallory = new Y.Doc();
    Y.applyUpdate(mallory, Y.encodeStateAsUpdate(b.doc));
    mallory.clientID = a.doc.clientID;
    const sv = Y.encodeStateVector(mallory);
    setMetaText(mallory, 'title', 'Forged as a');
    const creds = await join(n2.url, board.id, 'Mallory');
    const raw = rawDocSocket(
      `${n2.url.replace(/^http/, 'ws')}/yjs/${board.id}?${new URLSearchParams(docParams(creds)).toString()}`,
    );
    cleanups.push(() => raw.ws.terminate());
    await raw.opened;
    raw.ws.send(updateMessage(Y.encodeStateAsUpdate(mallory, sv)));
    expect((await raw.closed).code).toBe(YJS_CLOSE.FORBIDDEN);
    const fresh = await freshCopy(n1, board.id);
    expect(readBoard(fresh).title).toBe('Still a, on process 2');
  });

  it('[D19] kill -9 of one of two processes mid-edit: everything acknowledged is there, and its clients resume on the other', async () => {
    const db = await database();
    const [n1, n2] = await Promise.all([node(db), node(db)]);
    const board = await createBoard(n1.url);
    const a = await client(n1, board.id);
    const watcher = savedWatcher(n1.url, board.id, a.credentials);
    cleanups.push(() => void watcher.socket.disconnect());
    expect((await watcher.joined).ok).toBe(true);
    const b = await client(n2, board.id);

    for (let i = 0; i < 40; i++) updateCriterion(a.doc, 'security', { description: `saved ${i}` });
    await waitFor(() => allSaved(a.doc, watcher.saved), 'process 1 reported every edit saved', 15_000);
    const reportedSaved = stateVectorOf(a.doc);
    // Mid-edit: more edits in flight when the process dies.
    for (let i = 0; i < 40; i++) {
      setNotes(a.doc, `in flight ${i}`);
      if (i === 20) await new Promise((r) => setTimeout(r, 2));
    }
    await n1.server.kill9();
    const seenByB = stateVectorOf(b.doc);

    // Whatever process 1 acknowledged, or relayed to process 2, is stored.
    const fresh = await freshCopy(n2, board.id);
    expect(covers(fresh, reportedSaved)).toBe(true);
    expect(covers(fresh, seenByB)).toBe(true);

    // a reconnects to the survivor (as through a load balancer) and its unsaved edits follow.
    a.moveTo(n2.url);
    await waitFor(() => a.provider.synced, 'a resumed on process 2', 15_000);
    await waitFor(() => readBoard(b.doc).notes === 'in flight 39', 'a’s last edit reached b', 15_000);
    await waitFor(() => converged(a, b), 'a and b converge', 15_000);
  });

  it('[D20] a Redis restart mid-run loses no acknowledged update, and the processes catch up from storage', async () => {
    const db = await database();
    const redis = await ownRedis();
    cleanups.push(() => redis.kill());
    const [n1, n2] = await Promise.all([node(db, redis.url), node(db, redis.url)]);
    const board = await createBoard(n1.url);
    const a = await client(n1, board.id);
    const b = await client(n2, board.id);
    setMetaText(a.doc, 'title', 'Before the restart');
    await waitFor(() => readBoard(b.doc).title === 'Before the restart', 'b got a’s edit');

    await redis.kill();
    // Committed on process 1 while Redis is away; process 2 commits nothing, so no sequence
    // gap of its own can tell it: only the recovery after Redis is back can.
    for (let i = 0; i < 20; i++) updateCriterion(a.doc, 'security', { description: `during ${i}` });
    const watcher = savedWatcher(n1.url, board.id, a.credentials);
    cleanups.push(() => void watcher.socket.disconnect());
    expect((await watcher.joined).ok).toBe(true);
    await waitFor(() => allSaved(a.doc, watcher.saved), 'process 1 committed them', 15_000);
    const fromA = stateVectorOf(a.doc);
    expect(covers(b.doc, fromA)).toBe(false);
    await redis.start();

    // Back: process 2 catches up from storage, without any further edit to reveal a gap.
    await waitFor(() => covers(b.doc, fromA), 'process 2 caught up', 20_000);
    await waitFor(() => converged(a, b), 'a and b converge', 15_000);
    // And edits flow through Redis again.
    setMetaText(b.doc, 'title', 'After the restart');
    await waitFor(
      () => readBoard(a.doc).title === 'After the restart',
      'live again after the restart',
      15_000,
    );
    const fresh = await freshCopy(n1, board.id);
    expect(covers(fresh, stateVectorOf(a.doc))).toBe(true);
  });

  it('[S8] presence crosses processes, reaches a process that loads the board later, and a killed process’s cursors vanish within seconds', async () => {
    const db = await database();
    const [n1, n2] = await Promise.all([node(db), node(db)]);
    const board = await createBoard(n1.url);
    const a = await client(n1, board.id, 'Ann');
    const b = await client(n2, board.id, 'Ben');
    a.provider.awareness.setLocalStateField('user', { name: 'Ann' });
    b.provider.awareness.setLocalStateField('user', { name: 'Ben' });
    const annId = a.doc.clientID;
    const benId = b.doc.clientID;
    const seen = (c: DocClient, id: number, name: string) =>
      (c.provider.awareness.getStates().get(id) as { user?: { name?: string } } | undefined)?.user?.name ===
      name;
    await waitFor(
      () => seen(b, annId, 'Ann') && seen(a, benId, 'Ben'),
      'each sees the other across processes',
    );

    // A process loading the board now learns who is there at once (it asks the others).
    const n3 = await node(db);
    const c = await client(n3, board.id, 'Cy');
    await waitFor(() => seen(c, annId, 'Ann') && seen(c, benId, 'Ben'), 'process 3 shows Ann and Ben');

    // Someone on process 2 cannot take over Ann's presence (set through process 1): in one
    // message, a forged state for Ann's id and a state of its own; the second shows up, the
    // first never does.
    const creds = await join(n2.url, board.id, 'Mallory');
    const raw = rawDocSocket(
      `${n2.url.replace(/^http/, 'ws')}/yjs/${board.id}?${new URLSearchParams(docParams(creds)).toString()}`,
    );
    cleanups.push(() => raw.ws.terminate());
    await raw.opened;
    const malloryId = 424242;
    const forged = encoding.createEncoder();
    encoding.writeVarUint(forged, 2);
    for (const [id, clock, name] of [
      [annId, 1000, 'Mallory as Ann'],
      [malloryId, 1, 'Mallory'],
    ] as const) {
      encoding.writeVarUint(forged, id);
      encoding.writeVarUint(forged, clock);
      encoding.writeVarString(forged, JSON.stringify({ user: { name } }));
    }
    raw.ws.send(awarenessMessage(encoding.toUint8Array(forged)));
    await waitFor(() => seen(b, malloryId, 'Mallory'), 'b sees Mallory’s own state');
    expect(seen(b, annId, 'Ann')).toBe(true);

    // Process 1 dies: Ann's state goes from everyone within seconds (heartbeats), well before
    // the 30 s after which a y-protocols client would drop it by itself.
    await n1.server.kill9();
    await waitFor(
      () => !b.provider.awareness.getStates().has(annId) && !c.provider.awareness.getStates().has(annId),
      'Ann’s presence removed on processes 2 and 3',
      15_000,
    );
    expect(seen(c, benId, 'Ben')).toBe(true);
  });

  it('[D15] two processes compacting one board keep every update', async () => {
    const db = await database();
    const [n1, n2] = await Promise.all([node(db), node(db)]);
    const board = await createBoard(n1.url);
    const a = await client(n1, board.id);
    const b = await client(n2, board.id);
    // Well past COMPACT_AFTER_UPDATES (500) on each process, written on both at once.
    for (let i = 0; i < 700; i++) {
      updateCriterion(a.doc, 'security', { description: `a ${i}` });
      setNotes(b.doc, `b ${i}`);
      if (i % 4 === 3) await new Promise((r) => setTimeout(r, 1));
    }
    await waitFor(() => converged(a, b), 'a and b converge', 30_000);
    // A process loading the board now reads what is stored: snapshot plus the rows after it.
    const n3 = await node(db);
    const fresh = await freshCopy(n3, board.id);
    expect(sameContent(fresh, a.doc)).toBe(true);
    expect(readBoard(fresh)).toEqual(readBoard(a.doc));
  });
});
