import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { WebSocket } from 'ws';
import * as authProtocol from 'y-protocols/auth';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { recordChanges, type StructureShape, structureChanges, structureShape } from '@/lib/board-history';
import { migrateDescriptions } from '@/lib/board-schema';
import { LIMITS } from '@/lib/limits';
import { YJS_CLOSE } from '@/lib/protocol';
import { guardUpdate, type Refusal } from './doc-guard';
import type { DocSeal } from './doc-seal';
import { boardTag, type Logger } from './logger';
import type { TokenBucket } from './rate-limit';
import { applyStored } from './storage/stored-doc';
import type { BoardStore, DocClientOwner } from './storage/types';

/** y-websocket message types (y-websocket's own numbering). */
const MESSAGE = { sync: 0, awareness: 1, auth: 2, queryAwareness: 3 } as const;

/** Updates appended since the last snapshot before the room compacts them into one. */
export const COMPACT_AFTER_UPDATES = 500;

/** Origin of what the room applies from storage: neither stored again nor relayed. */
const FROM_STORAGE = Symbol('storage');
/** Owner recorded for the server's own Yjs client id (status mirror, evidence). */
export const SERVER_OWNER = 'server';
/** Client ids found in a stored board without a recorded owner: nobody may write with them. */
const NOBODY = '';

/** Who is on the other end of a document connection. */
export type DocAccess =
  | { role: 'viewer'; boardId: string }
  | { role: 'participant'; boardId: string; participantId: string };

export interface Connection {
  socket: WebSocket;
  access: DocAccess;
  /** Awareness client ids this connection controls, removed when it closes. */
  awarenessIds: Set<number>;
  /** Messages, bytes and sync requests it may still send (see LIMITS). */
  messages: TokenBucket;
  bytes: TokenBucket;
  syncRequests: TokenBucket;
}

/** What the session channel says about a board, read synchronously on every update. */
export interface DocPolicy {
  /** False while the board is locked or finalized. */
  writable: boolean;
  /** A round is open: options, criteria and weights are frozen. */
  roundOpen: boolean;
  /** Who may change options, criteria and weights when no round is open. */
  structureEditors: 'everyone' | 'facilitator';
  /** Whether a participant currently holds the facilitator role. */
  isFacilitator(participantId: string): boolean;
  /** A participant's display name, for the board's history ("who changed what"). */
  nameOf?(participantId: string): string | undefined;
}

export interface RoomHooks {
  /** After updates were committed: the new clocks of the Yjs client ids they touched. */
  onCommitted(boardId: string, clocks: [client: number, clock: number][]): void;
  /** The board's current policy; available once `prepare` resolved. */
  policy(boardId: string): DocPolicy;
  /** Loads what `policy` needs; awaited before the room answers anything. */
  prepare(boardId: string): Promise<void>;
  /** A participant's document connection joined the room (its editor can now learn what is saved). */
  onConnected(boardId: string, participantId: string): void;
  /** Storage failed: the room closed its connections and must be dropped. */
  onFailed(room: BoardRoom): void;
}

/** Thrown to callers waiting on a room whose storage failed: nothing of theirs was saved. */
export class RoomFailedError extends Error {
  constructor() {
    super('the board could not be saved; nothing was changed');
  }
}

interface PendingUpdate {
  update: Uint8Array;
  /** The y-websocket message relaying it, encoded once for every receiver. */
  message: Uint8Array;
  /** The connection it came from (not relayed back), or null for the server's own. */
  origin: Connection | null;
}

/** Close codes for each refusal of the document guard. */
const REFUSAL_CLOSE: Record<Refusal, number> = {
  malformed: YJS_CLOSE.BAD_MESSAGE,
  gap: YJS_CLOSE.OUT_OF_SYNC,
  'foreign-client': YJS_CLOSE.FORBIDDEN,
  schema: YJS_CLOSE.UPDATE_REFUSED,
  frozen: YJS_CLOSE.UPDATE_REFUSED,
};

/**
 * One loaded board: its Y.Doc, its connections and its awareness. The room
 * - loads the stored state before it answers anything (`ready`);
 * - checks every incoming update against the board schema and the writer's rights before
 *   it touches the document (server/doc-guard.ts), refusing it whole with a close code;
 * - commits document changes before relaying them: updates applied in one event-loop turn
 *   are appended in one transaction (group commit), then relayed, each encoded once; sync
 *   replies wait behind pending commits, so nobody ever receives uncommitted state;
 * - stops at the first storage failure: nothing later is stored or relayed (no holes in
 *   the history), every connection is closed and the room is dropped, so clients resync
 *   against what is really stored.
 */
export class BoardRoom {
  readonly doc = new Y.Doc({ gc: true });
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  readonly connections = new Map<WebSocket, Connection>();
  readonly ready: Promise<void>;
  /** Owners of the document's Yjs client ids (persisted with the updates that claim them). */
  private readonly owners = new Map<number, string>();
  /** Which connection controls each awareness client id. */
  private readonly awarenessOwners = new Map<number, Connection>();
  /** The committed clock of every Yjs client id: what `doc:saved` reports. */
  private readonly committed = new Map<number, number>();
  private tail: Promise<void> = Promise.resolve();
  private pending: PendingUpdate[] = [];
  private pendingClaims: DocClientOwner[] = [];
  private pendingTouched = new Set<number>();
  private batchScheduled = false;
  private lastSeq = 0;
  /** The committed document's version (see BoardStore.documentVersion): grows with every commit. */
  version = 0;
  private updatesSinceSnapshot = 0;
  private storedBytes = 0;
  private failed = false;
  destroyed = false;
  /** The stored state is in `doc` (`ready` resolved): readers may use it without awaiting. */
  loaded = false;
  /** Server-side users (a command writing evidence, a connection being accepted); the room stays loaded while > 0. */
  pins = 0;

  constructor(
    readonly boardId: string,
    private readonly store: BoardStore,
    private readonly seal: DocSeal,
    private readonly hooks: RoomHooks,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly maxBufferedBytes: number = LIMITS.MAX_YJS_BUFFERED_BYTES,
  ) {
    // The server's own awareness state stays empty: it is not a collaborator.
    this.awareness.setLocalState(null);
    this.ready = this.load();
    // A failed load is reported to whoever awaits `ready`; this keeps it from being unhandled.
    this.ready.then(
      () => {
        this.loaded = true;
      },
      () => {},
    );
    this.doc.on('update', this.docUpdateListener);
    this.awareness.on(
      'update',
      (changes: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) =>
        this.onAwarenessUpdate(changes, origin),
    );
  }

  private readonly docUpdateListener = (update: Uint8Array, origin: unknown): void =>
    this.onDocUpdate(update, origin);

  private async load(): Promise<void> {
    const [stored, owners, version] = await Promise.all([
      this.store.loadDocument(this.boardId),
      this.store.listDocClients(this.boardId),
      this.store.documentVersion(this.boardId),
      this.hooks.prepare(this.boardId),
    ]);
    if (this.destroyed) return;
    // Without an 'update' listener Yjs does not encode the whole loaded state as one update
    // at the end of the transaction (nothing relays or stores what comes from storage).
    this.doc.off('update', this.docUpdateListener);
    try {
      applyStored(this.doc, stored, FROM_STORAGE);
    } finally {
      this.doc.on('update', this.docUpdateListener);
    }
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(this.doc))) {
      this.committed.set(client, clock);
    }
    for (const o of owners) this.owners.set(o.clientId, o.owner);
    // Content under an id nobody owns (the template, edits from before owners were kept)
    // can never be extended: otherwise anyone could claim it.
    for (const client of this.doc.store.clients.keys()) {
      if (!this.owners.has(client)) this.owners.set(client, NOBODY);
    }
    this.lastSeq = stored.lastSeq;
    this.version = version;
    // Descriptions stored as strings (boards from before they were shared text) become shared
    // text now, before anyone edits: stored as a server change like any other.
    this.doc.transact(() => migrateDescriptions(this.doc), 'server');
    this.updatesSinceSnapshot = stored.updates.length;
    this.storedBytes = stored.storedBytes;
    // A long tail of updates (e.g. the process died before compacting) is folded so the next
    // load reads one snapshot: first in the queue (commits wait behind it, `flushed()` includes
    // it), but one macrotask later, so whoever awaits `ready` is answered first.
    if (this.updatesSinceSnapshot >= COMPACT_AFTER_UPDATES)
      this.enqueue(async () => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (!this.destroyed) await this.compact();
      });
  }

  /** Queues work behind every earlier commit so relays never overtake storage. */
  private enqueue(task: () => Promise<void> | void): void {
    this.tail = this.tail
      .then(async () => {
        if (!this.failed) await task();
      })
      .catch((err: unknown) => this.failStorage(err));
  }

  addConnection(conn: Connection): void {
    this.connections.set(conn.socket, conn);
    // Standard y-websocket handshake: our sync step 1 (so the client sends what we lack,
    // e.g. its offline edits), then the awareness states we know.
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE.sync);
    syncProtocol.writeSyncStep1(encoder, this.doc);
    this.send(conn, encoding.toUint8Array(encoder));
    const states = this.awareness.getStates();
    if (states.size > 0) this.send(conn, encodeAwareness(this.awareness, [...states.keys()]));
    if (conn.access.role === 'participant') this.hooks.onConnected(this.boardId, conn.access.participantId);
  }

  /** Every Yjs client id's committed clock (the full `doc:saved` state vector). */
  committedClocks(): ReadonlyMap<number, number> {
    return this.committed;
  }

  removeConnection(socket: WebSocket): void {
    const conn = this.connections.get(socket);
    if (!conn) return;
    this.connections.delete(socket);
    for (const id of conn.awarenessIds) this.awarenessOwners.delete(id);
    awarenessProtocol.removeAwarenessStates(this.awareness, [...conn.awarenessIds], null);
  }

  /** The connections of one participant (to close them when the participant is removed). */
  connectionsOf(participantId: string): Connection[] {
    return [...this.connections.values()].filter(
      (c) => c.access.role === 'participant' && c.access.participantId === participantId,
    );
  }

  /** Handles one binary message. Returns a close code when the connection must be closed. */
  handleMessage(conn: Connection, data: Uint8Array): { code: number; reason: string } | null {
    if (this.failed) return { code: YJS_CLOSE.STORAGE_FAILED, reason: 'storage failed' };
    const now = this.now();
    if (!conn.messages.take(now).ok || !conn.bytes.take(now, data.byteLength).ok) {
      return { code: YJS_CLOSE.RATE_LIMITED, reason: 'too many messages; reconnect later' };
    }
    try {
      const decoder = decoding.createDecoder(data);
      const type = decoding.readVarUint(decoder);
      switch (type) {
        case MESSAGE.sync:
          return this.handleSync(conn, decoder, now);
        case MESSAGE.awareness:
          return this.handleAwareness(conn, decoding.readVarUint8Array(decoder));
        case MESSAGE.queryAwareness:
          if (!conn.syncRequests.take(now).ok) {
            return { code: YJS_CLOSE.RATE_LIMITED, reason: 'too many requests; reconnect later' };
          }
          this.send(conn, encodeAwareness(this.awareness, [...this.awareness.getStates().keys()]));
          return null;
        case MESSAGE.auth:
          return null;
        default:
          return { code: YJS_CLOSE.BAD_MESSAGE, reason: 'unknown message type' };
      }
    } catch (err) {
      this.log.warn('yjs: bad message', { board: boardTag(this.boardId), error: String(err) });
      return { code: YJS_CLOSE.BAD_MESSAGE, reason: 'malformed message' };
    }
  }

  private handleSync(
    conn: Connection,
    decoder: decoding.Decoder,
    now: number,
  ): { code: number; reason: string } | null {
    const syncType = decoding.readVarUint(decoder);
    switch (syncType) {
      case syncProtocol.messageYjsSyncStep1: {
        // Each reply can be as large as the board: a client asking again and again without
        // reading would otherwise fill the server's memory.
        if (!conn.syncRequests.take(now).ok) {
          return { code: YJS_CLOSE.RATE_LIMITED, reason: 'too many sync requests; reconnect later' };
        }
        const stateVector = decoding.readVarUint8Array(decoder);
        const encoder = encoding.createEncoder();
        encoding.writeVarUint(encoder, MESSAGE.sync);
        encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep2);
        encoding.writeVarUint8Array(encoder, Y.encodeStateAsUpdate(this.doc, stateVector));
        const reply = encoding.toUint8Array(encoder);
        // Behind pending commits: the reply must not contain state that is not yet durable.
        this.enqueue(() => this.send(conn, reply));
        return null;
      }
      case syncProtocol.messageYjsSyncStep2:
      case syncProtocol.messageYjsUpdate:
        return this.receiveUpdate(conn, decoding.readVarUint8Array(decoder));
      default:
        return { code: YJS_CLOSE.BAD_MESSAGE, reason: 'unknown sync message' };
    }
  }

  private receiveUpdate(conn: Connection, update: Uint8Array): { code: number; reason: string } | null {
    const access = conn.access;
    const policy = this.hooks.policy(this.boardId);
    if (access.role === 'viewer' || !policy.writable) {
      // Dropped, and the client is told with the standard y-protocols auth message.
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE.auth);
      authProtocol.writePermissionDenied(encoder, access.role === 'viewer' ? 'read-only' : 'board is locked');
      this.send(conn, encoding.toUint8Array(encoder));
      return null;
    }
    if (this.storedBytes + update.byteLength > LIMITS.MAX_BOARD_BYTES) {
      return { code: YJS_CLOSE.BOARD_TOO_BIG, reason: 'the board is full' };
    }
    const structureFrozen =
      policy.roundOpen ||
      (policy.structureEditors === 'facilitator' && !policy.isFacilitator(access.participantId));
    const verdict = guardUpdate(update, {
      doc: this.doc,
      writer: access.participantId,
      owners: this.owners,
      structureFrozen,
      verifySealed: (scope, value) => this.seal.verify(this.boardId, scope, value),
    });
    if (!verdict.ok) {
      this.log.warn('yjs: update refused', {
        board: boardTag(this.boardId),
        refusal: verdict.refusal,
        reason: verdict.reason,
      });
      return { code: REFUSAL_CLOSE[verdict.refusal], reason: verdict.reason.slice(0, 120) };
    }
    for (const client of verdict.claims) {
      this.owners.set(client, access.participantId);
      this.pendingClaims.push({ clientId: client, owner: access.participantId });
    }
    for (const client of verdict.touched) this.pendingTouched.add(client);
    // The structure before, whole (a removed criterion is kept to be restored), when the
    // update may change it: the history says who changed what, from the sender's connection.
    const before = verdict.structure ? structureShape(this.doc, true) : null;
    Y.applyUpdate(this.doc, update, conn);
    if (before) this.recordHistory(before, access.participantId, policy);
    return null;
  }

  /** Writes what an accepted update changed in the structure into the board's history. */
  private recordHistory(before: StructureShape, participantId: string, policy: DocPolicy): void {
    const changes = structureChanges(before, structureShape(this.doc, false));
    if (changes.length === 0) return;
    const who = policy.nameOf?.(participantId) ?? 'Someone';
    this.doc.transact(() => {
      recordChanges(this.doc, changes, { by: participantId, who, at: new Date(this.now()) }, before.full);
    }, 'server');
  }

  /**
   * Every accepted document change joins the pending batch; one task per batch commits it
   * after the current event-loop turn, so updates arriving together share a transaction.
   */
  private onDocUpdate(update: Uint8Array, origin: unknown): void {
    if (origin === FROM_STORAGE) return;
    const conn = origin && typeof origin === 'object' && 'access' in origin ? (origin as Connection) : null;
    if (!conn) {
      // A server-side change (status mirror, evidence): written with the server's own id.
      const own = this.doc.clientID;
      if (!this.owners.has(own)) {
        this.owners.set(own, SERVER_OWNER);
        this.pendingClaims.push({ clientId: own, owner: SERVER_OWNER });
      }
      this.pendingTouched.add(own);
    }
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE.sync);
    syncProtocol.writeUpdate(encoder, update);
    this.pending.push({ update, message: encoding.toUint8Array(encoder), origin: conn });
    if (!this.batchScheduled) {
      this.batchScheduled = true;
      this.enqueue(() => this.commitBatch());
    }
  }

  private async commitBatch(): Promise<void> {
    // Let the rest of this turn's messages (other sockets included) join the batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.batchScheduled = false;
    const batch = this.pending;
    const claims = this.pendingClaims;
    const touched = this.pendingTouched;
    this.pending = [];
    this.pendingClaims = [];
    this.pendingTouched = new Set();
    if (batch.length === 0) return;
    // Clocks as of now: the doc holds exactly what this batch commits (later updates wait).
    const clocks: [number, number][] = [...touched].map((c) => [c, Y.getState(this.doc.store, c)]);
    this.lastSeq = await this.store.appendUpdates(
      this.boardId,
      batch.map((p) => p.update),
      claims,
    );
    if (this.failed) return;
    this.version = this.lastSeq;
    for (const [client, clock] of clocks) this.committed.set(client, clock);
    for (const p of batch) {
      this.storedBytes += p.update.byteLength;
      this.updatesSinceSnapshot += 1;
      for (const conn of this.connections.values()) {
        if (conn !== p.origin) this.send(conn, p.message);
      }
    }
    this.hooks.onCommitted(this.boardId, clocks);
    if (this.updatesSinceSnapshot >= COMPACT_AFTER_UPDATES) await this.compact();
  }

  /** Folds the stored updates into one snapshot of the in-memory document. */
  private async compact(): Promise<void> {
    // Updates applied but still waiting for their batch may be in the snapshot too: they
    // are then stored twice (here and as their own rows), which Yjs applies idempotently.
    // Refused updates never reach the doc, so nothing refused is ever stored.
    const snapshot = Y.encodeStateAsUpdate(this.doc);
    await this.store.compact(this.boardId, snapshot, this.lastSeq);
    this.updatesSinceSnapshot = 0;
    this.storedBytes = snapshot.byteLength;
  }

  // ---- awareness ----------------------------------------------------------------------------

  /**
   * Presence of participants' editors. Viewers' awareness is not shared (they are counted on
   * the session channel). A connection may set only the states it introduced, a few of them,
   * each small: nobody can impersonate, remove or flood others' presence.
   */
  private handleAwareness(conn: Connection, update: Uint8Array): { code: number; reason: string } | null {
    if (conn.access.role === 'viewer') return null;
    if (update.byteLength > LIMITS.MAX_AWARENESS_MESSAGE_BYTES) {
      return { code: YJS_CLOSE.BAD_MESSAGE, reason: 'awareness message too big' };
    }
    const decoder = decoding.createDecoder(update);
    const count = decoding.readVarUint(decoder);
    const kept: { client: number; clock: number; state: string }[] = [];
    for (let i = 0; i < count; i++) {
      const client = decoding.readVarUint(decoder);
      const clock = decoding.readVarUint(decoder);
      const state = decoding.readVarString(decoder);
      const owner = this.awarenessOwners.get(client);
      if (owner !== undefined && owner !== conn) {
        // Someone else's: echoes and forgeries are dropped. The same participant coming
        // back on a new connection (before the old one timed out) takes its state over.
        if (!sameParticipant(owner, conn)) continue;
        owner.awarenessIds.delete(client);
        conn.awarenessIds.add(client);
        this.awarenessOwners.set(client, conn);
      }
      if (owner === undefined && conn.awarenessIds.size >= LIMITS.MAX_AWARENESS_IDS_PER_CONNECTION) continue;
      if (state.length > LIMITS.MAX_AWARENESS_STATE_CHARS) continue;
      kept.push({ client, clock, state });
    }
    if (kept.length === 0) return null;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, kept.length);
    for (const k of kept) {
      encoding.writeVarUint(encoder, k.client);
      encoding.writeVarUint(encoder, k.clock);
      encoding.writeVarString(encoder, k.state);
    }
    awarenessProtocol.applyAwarenessUpdate(this.awareness, encoding.toUint8Array(encoder), conn);
    return null;
  }

  private onAwarenessUpdate(
    changes: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void {
    const changed = [...changes.added, ...changes.updated, ...changes.removed];
    const conn =
      origin && typeof origin === 'object' && 'awarenessIds' in origin ? (origin as Connection) : null;
    if (conn) {
      for (const id of changes.added) {
        conn.awarenessIds.add(id);
        this.awarenessOwners.set(id, conn);
      }
      for (const id of changes.removed) {
        conn.awarenessIds.delete(id);
        this.awarenessOwners.delete(id);
      }
    }
    const message = encodeAwareness(this.awareness, changed);
    for (const c of this.connections.values()) this.send(c, message);
  }

  // ---- server-side changes --------------------------------------------------------------------

  /** Applies a server-side change (status mirror, evidence) as a normal committed update. */
  applyServerChange(change: (doc: Y.Doc) => void): void {
    if (this.failed) throw new RoomFailedError();
    this.doc.transact(() => change(this.doc), 'server');
  }

  /** The sealer for values only the server writes (evidence, contested points). */
  get sealer() {
    return this.seal.sealerFor(this.boardId);
  }

  /**
   * Resolves once everything queued so far is committed and relayed; rejects with
   * RoomFailedError when storage failed meanwhile (then nothing of it was kept).
   */
  async flushed(): Promise<void> {
    await this.tail;
    if (this.failed) throw new RoomFailedError();
  }

  /** Like `flushed`, but never rejects: for eviction and shutdown. */
  settled(): Promise<void> {
    return this.tail;
  }

  private send(conn: Connection, message: Uint8Array): void {
    const ws = conn.socket;
    if (ws.readyState !== ws.OPEN) return;
    // A client that does not read its messages must not make the server buffer them.
    if (ws.bufferedAmount + message.byteLength > this.maxBufferedBytes) {
      this.log.warn('yjs: dropping a connection that does not read', { board: boardTag(this.boardId) });
      ws.terminate();
      return;
    }
    ws.send(message, { binary: true }, (err) => {
      if (err) ws.terminate();
    });
  }

  private failStorage(err: unknown): void {
    if (this.failed) return;
    // The in-memory doc may now hold state that is not stored. Stop here: nothing later is
    // stored or relayed, every client is disconnected and resyncs against storage when the
    // room is reloaded; they still hold their own edits and send them again.
    this.failed = true;
    this.pending = [];
    this.log.error('storage failed; closing board', { board: boardTag(this.boardId), error: String(err) });
    for (const conn of this.connections.values()) {
      conn.socket.close(YJS_CLOSE.STORAGE_FAILED, 'storage failed');
    }
    this.hooks.onFailed(this);
  }

  /** Updates applied to the document but not committed yet. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  get isFailed(): boolean {
    return this.failed;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.awareness.destroy();
    this.doc.destroy();
  }
}

function sameParticipant(a: Connection, b: Connection): boolean {
  return (
    a.access.role === 'participant' &&
    b.access.role === 'participant' &&
    a.access.participantId === b.access.participantId
  );
}

function encodeAwareness(awareness: awarenessProtocol.Awareness, clients: number[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE.awareness);
  encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  return encoding.toUint8Array(encoder);
}
