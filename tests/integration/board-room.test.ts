import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as decoding from 'lib0/decoding';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import {
  addOption,
  getMeta,
  getNotes,
  initBoardFromTemplate,
  readBoard,
  setMetaText,
} from '@/lib/board-schema';
import { LIMITS } from '@/lib/limits';
import { YJS_CLOSE } from '@/lib/protocol';
import {
  BoardRoom,
  COMPACT_AFTER_UPDATES,
  type Connection,
  type DocAccess,
  type DocPolicy,
  RoomFailedError,
  SERVER_OWNER,
} from '@/server/board-room';
import { DocSeal } from '@/server/doc-seal';
import { createLogger } from '@/server/logger';
import { TokenBucket } from '@/server/rate-limit';
import { SqliteStore } from '@/server/storage/sqlite-store';
import { docFromStored } from '@/server/storage/stored-doc';
import { loadTemplates } from '@/server/templates';
import { HeldStore } from '../helpers/held-store';
import { tempDataDir } from '../helpers/server';
import { awarenessMessage, syncStep1Message, updateMessage } from '../helpers/yjs-frames';

/**
 * One BoardRoom on the real SQLite store (behind a HeldStore the test holds or fails), with
 * clients on real WebSockets: the room's own rules — group commit, relaying, compaction,
 * failure, awareness, per-connection limits — without the rest of the server around it.
 */

const BOARD = 'room-under-test';
const template = loadTemplates().get('django-vs-node')!;
const seal = new DocSeal(randomBytes(32));
const UNLIMITED = { capacity: 1e9, refillPerSecond: 1e9 };

interface Limits {
  messages: { capacity: number; refillPerSecond: number };
  bytes: { capacity: number; refillPerSecond: number };
  syncRequests: { capacity: number; refillPerSecond: number };
}

let dataDir: string;
let sqlite: SqliteStore;
let held: HeldStore;
let wss: WebSocketServer;
let rooms: BoardRoom[];
let clients: Client[];
let policy: DocPolicy & { facilitator: string | null };
let committed: [number, number][][];
/** What each commit said about the structure (RoomHooks.onCommitted). */
let structures: boolean[];
let failed: BoardRoom[];
let connected: string[];
let limits: Limits;
/** The room new connections join. */
let current: BoardRoom;

beforeEach(async () => {
  dataDir = tempDataDir();
  sqlite = new SqliteStore(path.join(dataDir, 'board.sqlite'));
  held = new HeldStore(sqlite);
  const doc = new Y.Doc();
  initBoardFromTemplate(doc, template, '2026-11-29T10:00:00.000Z', seal.sealerFor(BOARD));
  await sqlite.createBoard(
    {
      id: BOARD,
      facilitatorKeyHash: 'f',
      viewerKeyHash: 'v',
      viewerKey: 'viewer-key',
      templateId: 'django-vs-node',
      createdAt: '2026-11-29T10:00:00.000Z',
    },
    Y.encodeStateAsUpdate(doc),
  );
  doc.destroy();
  rooms = [];
  clients = [];
  committed = [];
  structures = [];
  failed = [];
  connected = [];
  limits = { messages: UNLIMITED, bytes: UNLIMITED, syncRequests: UNLIMITED };
  policy = {
    writable: true,
    roundOpen: false,
    structureEditors: 'everyone',
    facilitator: null,
    isFacilitator: (id) => id === policy.facilitator,
  };
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws, req) => {
    const as = new URL(req.url ?? '/', 'http://x').searchParams.get('as') ?? 'p-1';
    const access: DocAccess =
      as === 'viewer'
        ? { role: 'viewer', boardId: BOARD }
        : { role: 'participant', boardId: BOARD, participantId: as };
    const now = Date.now();
    const conn: Connection = {
      socket: ws,
      access,
      awarenessIds: new Set(),
      messages: new TokenBucket(limits.messages, now),
      bytes: new TokenBucket(limits.bytes, now),
      syncRequests: new TokenBucket(limits.syncRequests, now),
    };
    const room = current;
    ws.on('message', (data: Buffer) => {
      const closing = room.handleMessage(conn, new Uint8Array(data));
      if (closing) ws.close(closing.code, closing.reason);
    });
    ws.on('close', () => room.removeConnection(ws));
    room.addConnection(conn);
  });
});

afterEach(async () => {
  for (const c of clients) c.ws.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  for (const r of rooms) {
    await r.settled();
    r.destroy();
  }
  await sqlite.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function openRoom(options: { maxBufferedBytes?: number } = {}): Promise<BoardRoom> {
  const room = new BoardRoom(
    BOARD,
    held.store,
    seal,
    {
      onCommitted: (_board, clocks, structure) => {
        committed.push(clocks);
        structures.push(structure);
      },
      policy: () => policy,
      prepare: async () => {},
      onConnected: (_board, participantId) => connected.push(participantId),
      onFailed: (r) => failed.push(r),
    },
    createLogger('silent'),
    Date.now,
    options.maxBufferedBytes,
  );
  rooms.push(room);
  await room.ready;
  current = room;
  return room;
}

/** A raw y-websocket client with its own replica of the room's document. */
class Client {
  readonly received: Uint8Array[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly doc = new Y.Doc();
  private waiters: { match: (m: Uint8Array) => boolean; resolve: (m: Uint8Array) => void }[] = [];

  constructor(
    readonly ws: WebSocket,
    room: BoardRoom,
  ) {
    Y.applyUpdate(this.doc, Y.encodeStateAsUpdate(room.doc));
    ws.on('message', (data: Buffer) => {
      const m = new Uint8Array(data);
      this.received.push(m);
      const hit = this.waiters.filter((w) => w.match(m));
      this.waiters = this.waiters.filter((w) => !w.match(m));
      for (const w of hit) w.resolve(m);
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** The next message matching `match`. */
  next(match: (m: Uint8Array) => boolean): Promise<Uint8Array> {
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  send(bytes: Uint8Array): void {
    this.ws.send(bytes);
  }

  /** Sends what this replica has that the room lacks. */
  sendDiff(room: BoardRoom): void {
    this.send(updateMessage(Y.encodeStateAsUpdate(this.doc, Y.encodeStateVector(room.doc))));
  }

  /**
   * A round trip (an awareness query, answered at once): everything the room sent this
   * socket before, and did with what this socket sent before, has happened when it resolves.
   */
  async roundTrip(): Promise<void> {
    const reply = this.next((m) => m[0] === 1);
    this.send(new Uint8Array([3]));
    await reply;
  }

  /** The document updates relayed to this client so far. */
  get updates(): Uint8Array[] {
    return this.received.filter((m) => m[0] === 0 && m[1] === 2);
  }
}

async function connect(as = 'p-1'): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/?as=${as}`);
  const client = new Client(ws, current);
  clients.push(client);
  const step1 = client.next((m) => m[0] === 0 && m[1] === 0);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await step1;
  return client;
}

/** The title a relayed update message sets, read on a copy of `base`. */
function applyRelayed(base: Y.Doc, message: Uint8Array): Y.Doc {
  const d = new Y.Doc();
  Y.applyUpdate(d, Y.encodeStateAsUpdate(base));
  const decoder = decoding.createDecoder(message);
  decoding.readVarUint(decoder);
  decoding.readVarUint(decoder);
  Y.applyUpdate(d, decoding.readVarUint8Array(decoder));
  return d;
}

const storedRows = async () => (await held.real.loadDocument(BOARD)).updates.length;

describe('[D1][D4] group commit: what arrives together is stored together, then relayed', () => {
  it('[D1] updates applied in one turn are appended in one transaction, in order, then relayed once each', async () => {
    const room = await openRoom();
    const before = await storedRows();
    expect(room.loaded).toBe(true);
    room.applyServerChange((d) => setMetaText(d, 'title', 'one'));
    room.applyServerChange((d) => setMetaText(d, 'title', 'two'));
    room.applyServerChange((d) => setMetaText(d, 'title', 'three'));
    expect(room.hasPending).toBe(true);
    await room.flushed();
    expect(room.hasPending).toBe(false);
    expect(held.callsOf('appendUpdates')).toBe(1);
    expect(await storedRows()).toBe(before + 3);
    const reloaded = docFromStored(await held.real.loadDocument(BOARD));
    expect(readBoard(reloaded).title).toBe('three');
    expect(room.version).toBeGreaterThan(0);
    const version = room.version;
    room.applyServerChange((d) => setMetaText(d, 'title', 'four'));
    await room.flushed();
    expect(held.callsOf('appendUpdates')).toBe(2);
    expect(room.version).toBe(version + 1);
  });

  it('[D1][D12] the server writes with its own client id, claimed once for the server, and reports its clock', async () => {
    const room = await openRoom();
    room.applyServerChange((d) => setMetaText(d, 'title', 'by the server'));
    await room.flushed();
    room.applyServerChange((d) => setMetaText(d, 'title', 'again'));
    await room.flushed();
    const owners = await held.real.listDocClients(BOARD);
    expect(SERVER_OWNER).toBe('server');
    expect(owners).toEqual([{ clientId: room.doc.clientID, owner: 'server' }]);
    const own = room.doc.clientID;
    expect(committed.at(-1)).toEqual([[own, Y.getState(room.doc.store, own)]]);
    expect(room.committedClocks().get(own)).toBe(Y.getState(room.doc.store, own));
  });

  it('[D1] an edit is relayed to every other connection, not back to its writer, after it is stored', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    const b = await connect('bob');
    const c = await connect('carol');
    expect(connected).toEqual(['alice', 'bob', 'carol']);
    held.hold('appendUpdates');
    setMetaText(a.doc, 'title', 'from alice');
    a.sendDiff(room);
    await a.roundTrip();
    expect(held.waitingOn('appendUpdates')).toBe(1);
    await b.roundTrip();
    expect(b.updates).toHaveLength(0);
    const atB = b.next((m) => m[0] === 0 && m[1] === 2);
    const atC = c.next((m) => m[0] === 0 && m[1] === 2);
    held.release('appendUpdates');
    expect(readBoard(applyRelayed(b.doc, await atB)).title).toBe('from alice');
    await atC;
    await a.roundTrip();
    expect(a.updates).toHaveLength(0);
    expect(committed.at(-1)).toEqual([[a.doc.clientID, Y.getState(a.doc.store, a.doc.clientID)]]);
    expect(await held.real.listDocClients(BOARD)).toContainEqual({
      clientId: a.doc.clientID,
      owner: 'alice',
    });
  });

  it('[D2] a sync request is answered only after the commits before it, with what is stored', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    const b = await connect('bob');
    held.hold('appendUpdates');
    setMetaText(a.doc, 'title', 'pending');
    a.sendDiff(room);
    await a.roundTrip();
    const reply = b.next((m) => m[0] === 0 && m[1] === 1);
    b.send(syncStep1Message(Y.encodeStateVector(b.doc)));
    await b.roundTrip();
    expect(b.received.some((m) => m[0] === 0 && m[1] === 1)).toBe(false);
    held.release('appendUpdates');
    expect(readBoard(applyRelayed(b.doc, await reply)).title).toBe('pending');
  });
});

describe('[L2][D1] an update message is applied as Yjs applies it, then stored and relayed as it came', () => {
  /** A copy of the room's document as it is now. */
  const copyOf = (room: BoardRoom) => {
    const d = new Y.Doc();
    Y.applyUpdate(d, Y.encodeStateAsUpdate(room.doc));
    return d;
  };
  /** The same content: state vector and delete set (what Yjs compares snapshots by). */
  const sameAs = (a: Y.Doc, b: Y.Doc) => Y.equalSnapshots(Y.snapshot(a), Y.snapshot(b));

  it('[L2] an accepted update changes the room as Y.applyUpdate changes a copy; what is stored and what others receive rebuild the same document', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    const b = await connect('bob');
    const copy = copyOf(room);
    const rowsBefore = await storedRows();
    // Insertions and deletions: text replaced in the notes, a value set twice.
    getNotes(a.doc).insert(0, 'first words');
    getNotes(a.doc).delete(0, 6);
    setMetaText(a.doc, 'title', 'one');
    setMetaText(a.doc, 'title', 'two');
    const update = diffOf(a.doc);
    const relayed = b.next((m) => m[0] === 0 && m[1] === 2);
    a.send(updateMessage(update));
    await a.roundTrip();
    await room.flushed();
    Y.applyUpdate(copy, update);
    expect(sameAs(room.doc, copy)).toBe(true);
    expect(Y.encodeStateAsUpdate(room.doc)).toEqual(Y.encodeStateAsUpdate(copy));
    expect(getNotes(room.doc).toString()).toBe(getNotes(copy).toString());
    expect(await storedRows()).toBe(rowsBefore + 1);
    expect(sameAs(docFromStored(await held.real.loadDocument(BOARD)), copy)).toBe(true);
    expect(sameAs(applyRelayed(b.doc, await relayed), copy)).toBe(true);
  });

  it('[L2] an update with nothing new is neither stored nor relayed; one partly known rebuilds the same document', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    const b = await connect('bob');
    const base = Y.encodeStateVector(room.doc);
    setMetaText(a.doc, 'title', 'known');
    const first = diffOf(a.doc);
    a.send(updateMessage(first));
    await a.roundTrip();
    await room.flushed();
    await b.roundTrip();
    const rows = await storedRows();
    const relayed = b.updates.length;
    // The same update again: Yjs changes nothing, so nothing is stored or relayed.
    a.send(updateMessage(first));
    await a.roundTrip();
    await room.flushed();
    await b.roundTrip();
    expect(await storedRows()).toBe(rows);
    expect(b.updates).toHaveLength(relayed);
    expect(room.hasPending).toBe(false);
    // The known part and a new one in one message.
    const copy = copyOf(room);
    setMetaText(a.doc, 'title', 'new');
    const both = Y.encodeStateAsUpdate(a.doc, base);
    const next = b.next((m) => m[0] === 0 && m[1] === 2);
    a.send(updateMessage(both));
    await a.roundTrip();
    await room.flushed();
    Y.applyUpdate(copy, both);
    expect(readBoard(room.doc).title).toBe('new');
    expect(sameAs(room.doc, copy)).toBe(true);
    expect(await storedRows()).toBe(rows + 1);
    expect(sameAs(docFromStored(await held.real.loadDocument(BOARD)), copy)).toBe(true);
    expect(sameAs(applyRelayed(b.doc, await next), copy)).toBe(true);
  });

  it('[L2] a refused update changes nothing: not the document, not what is stored, not what others receive', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    const b = await connect('bob');
    const before = Y.encodeStateAsUpdate(room.doc);
    const rows = await storedRows();
    // A valid edit and a server-only key in one transaction: refused whole.
    a.doc.transact(() => {
      setMetaText(a.doc, 'title', 'half of it');
      getMeta(a.doc).set('status', 'finalized');
    });
    a.send(updateMessage(diffOf(a.doc)));
    expect((await a.closed).code).toBe(YJS_CLOSE.UPDATE_REFUSED);
    await room.flushed();
    await b.roundTrip();
    expect(Y.encodeStateAsUpdate(room.doc)).toEqual(before);
    expect(await storedRows()).toBe(rows);
    expect(b.updates).toHaveLength(0);
    expect(room.hasPending).toBe(false);
  });

  it('[D1] the commit says whether the structure may have changed: not for text or a title, yes for an option or a server change', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    getNotes(a.doc).insert(0, 'notes');
    setMetaText(a.doc, 'title', 'a title');
    a.sendDiff(room);
    await a.roundTrip();
    await room.flushed();
    expect(structures.at(-1)).toBe(false);
    addOption(a.doc, { id: 'third', name: 'Third', description: '' });
    a.sendDiff(room);
    await a.roundTrip();
    await room.flushed();
    expect(structures.at(-1)).toBe(true);
    room.applyServerChange((d) => setMetaText(d, 'title', 'by the server'));
    await room.flushed();
    expect(structures.at(-1)).toBe(true);
  });
});

describe('[D4] when an append fails', () => {
  it('[D4] nothing is relayed or reported, every connection is closed, and the room refuses more work', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    const b = await connect('bob');
    held.hold('appendUpdates');
    held.failNext('appendUpdates');
    const before = await storedRows();
    setMetaText(a.doc, 'title', 'lost');
    a.sendDiff(room);
    await a.roundTrip();
    room.applyServerChange((d) => setMetaText(d, 'title', 'also lost'));
    held.release('appendUpdates');
    const [closedA, closedB] = await Promise.all([a.closed, b.closed]);
    expect(closedA).toEqual({ code: YJS_CLOSE.STORAGE_FAILED, reason: 'storage failed' });
    expect(closedB.code).toBe(YJS_CLOSE.STORAGE_FAILED);
    expect(b.updates).toHaveLength(0);
    expect(committed).toEqual([]);
    expect(failed).toEqual([room]);
    expect(room.isFailed).toBe(true);
    expect(room.hasPending).toBe(false);
    await expect(room.flushed()).rejects.toBeInstanceOf(RoomFailedError);
    await expect(room.settled()).resolves.toBeUndefined();
    expect(() => room.applyServerChange((d) => setMetaText(d, 'title', 'later'))).toThrow(RoomFailedError);
    expect(new RoomFailedError().message).toBe('the board could not be saved; nothing was changed');
    expect(room.handleMessage(a as unknown as Connection, new Uint8Array([0, 0, 0]))).toEqual({
      code: YJS_CLOSE.STORAGE_FAILED,
      reason: 'storage failed',
    });
    expect(await storedRows()).toBe(before);
  });

  it('[D4] an update applied while the failing append waits is not stored after it (no holes)', async () => {
    const room = await openRoom();
    held.hold('appendUpdates');
    held.failNext('appendUpdates');
    const before = await storedRows();
    room.applyServerChange((d) => setMetaText(d, 'title', 'first'));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    room.applyServerChange((d) => setMetaText(d, 'title', 'second'));
    held.release('appendUpdates');
    await expect(room.flushed()).rejects.toBeInstanceOf(RoomFailedError);
    expect(held.callsOf('appendUpdates')).toBe(1);
    expect(await storedRows()).toBe(before);
  });

  it('[D4] a load that fails is reported to whoever waits on the room', async () => {
    held.failNext('loadDocument');
    const room = new BoardRoom(
      BOARD,
      held.store,
      seal,
      {
        onCommitted: () => {},
        policy: () => policy,
        prepare: async () => {},
        onConnected: () => {},
        onFailed: () => {},
      },
      createLogger('silent'),
    );
    rooms.push(room);
    await expect(room.ready).rejects.toThrow(/failed/);
    expect(room.loaded).toBe(false);
  });
});

describe('[D9] compaction', () => {
  it(`[D9] ${COMPACT_AFTER_UPDATES} stored updates are folded into one snapshot, not one fewer, and the board reads the same`, async () => {
    const room = await openRoom();
    const start = await storedRows();
    for (let i = start; i < COMPACT_AFTER_UPDATES - 1; i++)
      room.applyServerChange((d) => getNotes(d).insert(0, 'x'));
    await room.flushed();
    expect(held.callsOf('compact')).toBe(0);
    expect(await storedRows()).toBe(COMPACT_AFTER_UPDATES - 1);
    room.applyServerChange((d) => getNotes(d).insert(0, 'y'));
    await room.flushed();
    expect(held.callsOf('compact')).toBe(1);
    const stored = await held.real.loadDocument(BOARD);
    expect(stored.snapshot).not.toBeNull();
    expect(stored.updates).toHaveLength(0);
    expect(readBoard(docFromStored(stored))).toEqual(readBoard(room.doc));
    // The count starts again from the snapshot.
    room.applyServerChange((d) => getNotes(d).insert(0, 'z'));
    await room.flushed();
    expect(held.callsOf('compact')).toBe(1);
  });

  it('[D9] a board loaded with a long tail of updates is folded once, before later commits', async () => {
    const writer = docFromStored(await held.real.loadDocument(BOARD));
    const updates: Uint8Array[] = [];
    writer.on('update', (u: Uint8Array) => updates.push(u));
    const start = await storedRows();
    for (let i = start; i < COMPACT_AFTER_UPDATES; i++) getNotes(writer).insert(0, 'n');
    await held.real.appendUpdates(BOARD, updates);
    const room = await openRoom();
    expect(getNotes(room.doc).length).toBe(COMPACT_AFTER_UPDATES - start);
    room.applyServerChange((d) => setMetaText(d, 'title', 'after the fold'));
    await room.flushed();
    expect(held.callsOf('compact')).toBe(1);
    const stored = await held.real.loadDocument(BOARD);
    expect(stored.updates).toHaveLength(1);
    expect(readBoard(docFromStored(stored))).toEqual(readBoard(room.doc));
  });

  it('[D9] a room dropped right after loading a long tail does not fold (it would store an emptied document)', async () => {
    const writer = docFromStored(await held.real.loadDocument(BOARD));
    const updates: Uint8Array[] = [];
    writer.on('update', (u: Uint8Array) => updates.push(u));
    const start = await storedRows();
    for (let i = start; i < COMPACT_AFTER_UPDATES; i++) getNotes(writer).insert(0, 'n');
    await held.real.appendUpdates(BOARD, updates);
    const room = await openRoom();
    room.destroy();
    await room.settled();
    expect(held.callsOf('compact')).toBe(0);
    expect(getNotes(docFromStored(await held.real.loadDocument(BOARD))).length).toBe(
      COMPACT_AFTER_UPDATES - start,
    );
  });

  it('[D9] one update fewer on load is not folded', async () => {
    const writer = docFromStored(await held.real.loadDocument(BOARD));
    const updates: Uint8Array[] = [];
    writer.on('update', (u: Uint8Array) => updates.push(u));
    const start = await storedRows();
    for (let i = start; i < COMPACT_AFTER_UPDATES - 1; i++) getNotes(writer).insert(0, 'n');
    await held.real.appendUpdates(BOARD, updates);
    const room = await openRoom();
    await room.flushed();
    expect(held.callsOf('compact')).toBe(0);
  });
});

describe('[D12][L2] what the room loads and refuses', () => {
  it('[D12] content under a client id without a recorded owner can never be extended', async () => {
    const room = await openRoom();
    const template = [...room.doc.store.clients.keys()][0]!;
    const a = await connect('alice');
    const impostor = new Y.Doc();
    Y.applyUpdate(impostor, Y.encodeStateAsUpdate(room.doc));
    impostor.clientID = template;
    setMetaText(impostor, 'title', 'hijacked');
    a.send(updateMessage(Y.encodeStateAsUpdate(impostor, Y.encodeStateVector(room.doc))));
    expect((await a.closed).code).toBe(YJS_CLOSE.FORBIDDEN);
    expect(room.committedClocks().get(template)).toBe(Y.getState(room.doc.store, template));
  });

  it('[D2] an update sent as a sync reply (step 2) is checked and stored like any other', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    setMetaText(a.doc, 'title', 'offline edit');
    const update = Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(room.doc));
    a.send(Buffer.concat([Buffer.from([0, 1]), updateMessage(update).subarray(2)]));
    await a.roundTrip();
    await room.flushed();
    expect(readBoard(docFromStored(await held.real.loadDocument(BOARD))).title).toBe('offline edit');
  });

  it('[R4] the room finds every connection of a participant (to close them on removal)', async () => {
    const room = await openRoom();
    await connect('alice');
    await connect('alice');
    await connect('bob');
    await connect('viewer');
    expect(room.connectionsOf('alice')).toHaveLength(2);
    expect(room.connectionsOf('bob')).toHaveLength(1);
    expect(room.connectionsOf('nobody')).toEqual([]);
    expect(room.connections.size).toBe(4);
  });

  it('[D9] a room destroyed while it loads applies nothing', async () => {
    held.hold('loadDocument');
    const room = new BoardRoom(
      BOARD,
      held.store,
      seal,
      {
        onCommitted: () => {},
        policy: () => policy,
        prepare: async () => {},
        onConnected: () => {},
        onFailed: () => {},
      },
      createLogger('silent'),
    );
    rooms.push(room);
    room.destroy();
    held.release('loadDocument');
    await room.ready;
    expect(room.doc.store.clients.size).toBe(0);
    expect(room.version).toBe(0);
  });

  it('[D12] owners recorded in storage are loaded: a client id stays its owner’s after a reload', async () => {
    let room = await openRoom();
    const a = await connect('alice');
    setMetaText(a.doc, 'title', 'alice was here');
    a.sendDiff(room);
    await a.roundTrip();
    await room.flushed();
    const version = room.version;
    room = await openRoom();
    expect(room.version).toBe(version);
    expect(room.committedClocks().get(a.doc.clientID)).toBe(Y.getState(a.doc.store, a.doc.clientID));
    const mallory = await connect('mallory');
    const impostor = new Y.Doc();
    Y.applyUpdate(impostor, Y.encodeStateAsUpdate(room.doc));
    impostor.clientID = a.doc.clientID;
    setMetaText(impostor, 'title', 'mallory');
    mallory.send(updateMessage(Y.encodeStateAsUpdate(impostor, Y.encodeStateVector(room.doc))));
    expect((await mallory.closed).code).toBe(YJS_CLOSE.FORBIDDEN);
    expect(readBoard(room.doc).title).toBe('alice was here');
    // Alice herself goes on writing with her client id.
    const back = await connect('alice');
    Y.applyUpdate(back.doc, Y.encodeStateAsUpdate(a.doc));
    back.doc.clientID = a.doc.clientID;
    setMetaText(back.doc, 'title', 'alice again');
    back.sendDiff(room);
    await back.roundTrip();
    expect(readBoard(room.doc).title).toBe('alice again');
  });

  it.each<[string, (d: Y.Doc) => Uint8Array, number, RegExp]>([
    [
      'a schema refusal',
      (d) => {
        getMeta(d).set('status', 'finalized');
        return diffOf(d);
      },
      YJS_CLOSE.UPDATE_REFUSED,
      /server/,
    ],
    [
      'a gap',
      (d) => {
        setMetaText(d, 'title', 'one');
        const sv = Y.encodeStateVector(d);
        setMetaText(d, 'title', 'two');
        return Y.encodeStateAsUpdate(d, sv);
      },
      YJS_CLOSE.OUT_OF_SYNC,
      /does not have/,
    ],
    ['undecodable bytes', () => new Uint8Array([1, 2, 3, 255]), YJS_CLOSE.BAD_MESSAGE, /cannot be decoded/],
  ])(
    '[L2] %s closes the connection with its code and reason, and changes nothing',
    async (_what, build, code, reason) => {
      const room = await openRoom();
      const a = await connect('alice');
      const before = Y.encodeStateAsUpdate(room.doc);
      a.send(updateMessage(build(a.doc)));
      const closed = await a.closed;
      expect(closed.code).toBe(code);
      expect(closed.reason).toMatch(reason);
      expect(Y.encodeStateAsUpdate(room.doc)).toEqual(before);
      expect(room.hasPending).toBe(false);
    },
  );

  it('[R7] structure is frozen while a round is open, and for everyone but the facilitator when reserved', async () => {
    const room = await openRoom();
    const addOne = (c: Client, id: string) => {
      addOption(c.doc, { id, name: id, description: '' });
      c.sendDiff(room);
    };
    policy.roundOpen = true;
    const a = await connect('alice');
    addOne(a, 'during-round');
    expect((await a.closed).code).toBe(YJS_CLOSE.UPDATE_REFUSED);
    policy.roundOpen = false;
    policy.structureEditors = 'facilitator';
    policy.facilitator = 'fay';
    const b = await connect('bob');
    addOne(b, 'not-facilitator');
    expect((await b.closed).code).toBe(YJS_CLOSE.UPDATE_REFUSED);
    const f = await connect('fay');
    addOne(f, 'by-facilitator');
    await f.roundTrip();
    expect(readBoard(room.doc).options.map((o) => o.id)).toContain('by-facilitator');
    policy.structureEditors = 'everyone';
    const c = await connect('carol');
    addOne(c, 'by-anyone');
    await c.roundTrip();
    expect(readBoard(room.doc).options.map((o) => o.id)).toContain('by-anyone');
  });

  it('[R1][R6] a viewer’s update and any update to a locked board are dropped, and the sender told why', async () => {
    const room = await openRoom();
    const before = Y.encodeStateAsUpdate(room.doc);
    const v = await connect('viewer');
    setMetaText(v.doc, 'title', 'viewer edit');
    const denied = v.next((m) => m[0] === 2);
    v.sendDiff(room);
    expect(Buffer.from((await denied).subarray(3)).toString()).toBe('read-only');
    policy.writable = false;
    const a = await connect('alice');
    setMetaText(a.doc, 'title', 'locked edit');
    const lockedReply = a.next((m) => m[0] === 2);
    a.sendDiff(room);
    expect(Buffer.from((await lockedReply).subarray(3)).toString()).toBe('board is locked');
    await a.roundTrip();
    expect(Y.encodeStateAsUpdate(room.doc)).toEqual(before);
    expect(connected).toEqual(['alice']);
  });

  it('[L4] an update that would grow the board past its byte limit closes the connection', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    const huge = new Y.Doc();
    huge.clientID = a.doc.clientID;
    getNotes(huge).insert(0, 'x'.repeat(LIMITS.MAX_BOARD_BYTES));
    a.send(updateMessage(Y.encodeStateAsUpdate(huge)));
    expect(await a.closed).toEqual({ code: YJS_CLOSE.BOARD_TOO_BIG, reason: 'the board is full' });
    expect(getNotes(room.doc).length).toBe(0);
  });
});

describe('[L1][L5] messages and limits per connection', () => {
  it.each<[string, Uint8Array, RegExp]>([
    ['an unknown message type', new Uint8Array([9]), /unknown message type/],
    ['an unknown sync message', new Uint8Array([0, 7]), /unknown sync message/],
    ['a truncated message', new Uint8Array([0]), /malformed message/],
  ])('[L1] %s closes the connection as a bad message', async (_what, bytes, reason) => {
    await openRoom();
    const a = await connect('alice');
    a.send(bytes);
    const closed = await a.closed;
    expect(closed.code).toBe(YJS_CLOSE.BAD_MESSAGE);
    expect(closed.reason).toMatch(reason);
  });

  it('[L1] an auth message from a client is ignored', async () => {
    await openRoom();
    const a = await connect('alice');
    a.send(new Uint8Array([2, 0]));
    await a.roundTrip();
  });

  it.each<[string, Partial<Limits>, (c: Client) => void, RegExp]>([
    [
      'messages',
      { messages: { capacity: 2, refillPerSecond: 0.001 } },
      (c) => {
        for (let i = 0; i < 3; i++) c.send(new Uint8Array([2, 0]));
      },
      /too many messages/,
    ],
    [
      'bytes',
      { bytes: { capacity: 100, refillPerSecond: 0.001 } },
      (c) => c.send(new Uint8Array(101).fill(2, 0, 1)),
      /too many messages/,
    ],
    [
      'sync requests',
      { syncRequests: { capacity: 1, refillPerSecond: 0.001 } },
      (c) => {
        c.send(syncStep1Message(new Uint8Array([0])));
        c.send(syncStep1Message(new Uint8Array([0])));
      },
      /too many sync requests/,
    ],
    [
      'awareness queries',
      { syncRequests: { capacity: 1, refillPerSecond: 0.001 } },
      (c) => {
        c.send(new Uint8Array([3]));
        c.send(new Uint8Array([3]));
      },
      /too many requests/,
    ],
  ])(
    '[L5] a connection over its %s budget is closed as rate limited',
    async (_what, budget, flood, reason) => {
      await openRoom();
      limits = { ...limits, ...budget };
      const a = await connect('alice');
      flood(a);
      const closed = await a.closed;
      expect(closed.code).toBe(YJS_CLOSE.RATE_LIMITED);
      expect(closed.reason).toMatch(reason);
    },
  );

  it('[L5] a connection whose unread output would pass the bound is cut off; smaller messages still go', async () => {
    const room = await openRoom({ maxBufferedBytes: 4096 });
    const a = await connect('alice');
    const b = await connect('bob');
    room.applyServerChange((d) => setMetaText(d, 'title', 'small'));
    await room.flushed();
    await b.roundTrip();
    expect(b.updates).toHaveLength(1);
    room.applyServerChange((d) => getNotes(d).insert(0, 'x'.repeat(5000)));
    await room.flushed();
    expect((await b.closed).code).toBe(1006);
    expect((await a.closed).code).toBe(1006);
  });
});

describe('[L5] awareness: presence only participants set, few and small, never someone else’s', () => {
  /** An awareness update for `client` with `state` (JSON), at `clock`. */
  function presence(client: number, clock: number, state: Record<string, unknown> | null): Uint8Array {
    const other = new awarenessProtocol.Awareness(new Y.Doc());
    other.clientID = client;
    other.setLocalState(state);
    const meta = other.meta.get(client)!;
    meta.clock = clock - 1;
    other.setLocalState(state);
    return awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(other, [client]));
  }
  const states = (room: BoardRoom) => Object.fromEntries(room.awareness.getStates());
  /** The presence states an awareness message carries. */
  function carried(message: Uint8Array): Record<number, unknown> {
    const decoder = decoding.createDecoder(message);
    decoding.readVarUint(decoder);
    const other = new awarenessProtocol.Awareness(new Y.Doc());
    other.setLocalState(null);
    awarenessProtocol.applyAwarenessUpdate(other, decoding.readVarUint8Array(decoder), null);
    return Object.fromEntries([...other.getStates()].filter(([, v]) => v !== null));
  }

  it('[L5] a newcomer gets the presence there is, an awareness query answers with it, and nothing when there is none', async () => {
    await openRoom();
    const lone = await connect('alice');
    await lone.roundTrip();
    expect(lone.received.filter((m) => m[0] === 1)).toHaveLength(1);
    lone.send(presence(41, 1, { name: 'Alice' }));
    await lone.roundTrip();
    const b = await connect('bob');
    const first = b.received.find((m) => m[0] === 1);
    expect(first && carried(first)).toEqual({ 41: { name: 'Alice' } });
    const reply = b.next((m) => m[0] === 1);
    b.send(new Uint8Array([3]));
    expect(carried(await reply)).toEqual({ 41: { name: 'Alice' } });
  });

  it('[L5] a participant may clear its own presence, and then set a new one', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    for (let i = 0; i < LIMITS.MAX_AWARENESS_IDS_PER_CONNECTION; i++) a.send(presence(50 + i, 1, { i }));
    a.send(presence(50, 2, null));
    await a.roundTrip();
    expect(Object.keys(states(room))).toHaveLength(LIMITS.MAX_AWARENESS_IDS_PER_CONNECTION - 1);
    a.send(presence(60, 1, { i: 'new' }));
    await a.roundTrip();
    expect(states(room)[60]).toEqual({ i: 'new' });
  });

  it('[L5] an awareness message of exactly the size limit is read', async () => {
    await openRoom();
    const a = await connect('alice');
    let pad = LIMITS.MAX_AWARENESS_MESSAGE_BYTES - 100;
    let message = presence(70, 1, { n: 'x'.repeat(pad) });
    const inner = (m: Uint8Array) => {
      const decoder = decoding.createDecoder(m);
      decoding.readVarUint(decoder);
      return decoding.readVarUint8Array(decoder).byteLength;
    };
    while (inner(message) < LIMITS.MAX_AWARENESS_MESSAGE_BYTES) {
      pad += 1;
      message = presence(70, 1, { n: 'x'.repeat(pad) });
    }
    expect(inner(message)).toBe(LIMITS.MAX_AWARENESS_MESSAGE_BYTES);
    a.send(message);
    await a.roundTrip();
  });

  it('[L5] forgetting a connection the room does not have changes nothing', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    room.removeConnection(a.ws);
    expect(room.connections.size).toBe(1);
  });

  it('[L5] a participant’s presence is relayed to the others, and removed when it leaves', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    const b = await connect('bob');
    const seen = b.next((m) => m[0] === 1);
    a.send(presence(11, 1, { name: 'Alice' }));
    await a.roundTrip();
    expect(states(room)).toEqual({ 11: { name: 'Alice' } });
    expect(carried(await seen)).toEqual({ 11: { name: 'Alice' } });
    const c = await connect('carol');
    expect(c.received.some((m) => m[0] === 1)).toBe(true);
    const gone = b.next((m) => m[0] === 1);
    a.ws.close();
    await gone;
    expect(states(room)).toEqual({});
  });

  it('[L5] a viewer’s presence is ignored', async () => {
    const room = await openRoom();
    const v = await connect('viewer');
    v.send(presence(12, 1, { name: 'Viewer' }));
    await v.roundTrip();
    expect(states(room)).toEqual({});
  });

  it('[L5] nobody can set or remove another participant’s presence; the same participant on a new connection takes it over', async () => {
    const room = await openRoom();
    const a = await connect('alice');
    a.send(presence(21, 1, { name: 'Alice' }));
    await a.roundTrip();
    const m = await connect('mallory');
    m.send(presence(21, 5, { name: 'Mallory' }));
    m.send(presence(21, 6, null));
    await m.roundTrip();
    expect(states(room)).toEqual({ 21: { name: 'Alice' } });
    const again = await connect('alice');
    again.send(presence(21, 7, { name: 'Alice again' }));
    await again.roundTrip();
    expect(states(room)).toEqual({ 21: { name: 'Alice again' } });
    // The old connection no longer controls it: closing it does not remove the state.
    a.ws.close();
    await a.closed;
    await again.roundTrip();
    expect(states(room)).toEqual({ 21: { name: 'Alice again' } });
    m.ws.close();
    await m.closed;
    await again.roundTrip();
    expect(states(room)).toEqual({ 21: { name: 'Alice again' } });
  });

  it(`[L5] a connection sets at most ${LIMITS.MAX_AWARENESS_IDS_PER_CONNECTION} presence ids, each state at most ${LIMITS.MAX_AWARENESS_STATE_CHARS} characters`, async () => {
    const room = await openRoom();
    const a = await connect('alice');
    for (let i = 0; i <= LIMITS.MAX_AWARENESS_IDS_PER_CONNECTION; i++) a.send(presence(100 + i, 1, { i }));
    await a.roundTrip();
    expect(Object.keys(states(room))).toHaveLength(LIMITS.MAX_AWARENESS_IDS_PER_CONNECTION);
    // Updating one it has is still fine.
    a.send(presence(100, 2, { i: 'again' }));
    await a.roundTrip();
    expect(states(room)[100]).toEqual({ i: 'again' });
    const b = await connect('bob');
    const fits = 'x'.repeat(LIMITS.MAX_AWARENESS_STATE_CHARS - JSON.stringify({ n: '' }).length);
    b.send(presence(200, 1, { n: fits }));
    b.send(presence(201, 1, { n: `${fits}x` }));
    await b.roundTrip();
    expect(Object.keys(states(room))).toContain('200');
    expect(Object.keys(states(room))).not.toContain('201');
  });

  it('[L5] an awareness message over the size limit closes the connection', async () => {
    await openRoom();
    const a = await connect('alice');
    a.send(presence(31, 1, { n: 'x'.repeat(LIMITS.MAX_AWARENESS_MESSAGE_BYTES) }));
    expect(await a.closed).toEqual({ code: YJS_CLOSE.BAD_MESSAGE, reason: 'awareness message too big' });
  });
});

function diffOf(d: Y.Doc): Uint8Array {
  return Y.encodeStateAsUpdate(d, Y.encodeStateVector(rooms.at(-1)!.doc));
}
