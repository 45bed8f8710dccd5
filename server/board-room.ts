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
import { type BusMember, CLUSTER, type DocBus, type DocEntry } from './cluster/doc-bus';
import { guardUpdate, type Refusal } from './doc-guard';
import type { DocSeal } from './doc-seal';
import { boardTag, type Logger } from './logger';
import type { TokenBucket } from './rate-limit';
import { applyStored } from './storage/stored-doc';
import type { BoardStore, DocClientOwner, StoredDocument } from './storage/types';

/** y-websocket message types (y-websocket's own numbering). */
const MESSAGE = { sync: 0, awareness: 1, auth: 2, queryAwareness: 3 } as const;

/** Updates appended since the last snapshot before the room compacts them into one. */
export const COMPACT_AFTER_UPDATES = 500;

/** Origin of what the room applies from storage: neither stored again nor relayed. */
const FROM_STORAGE = Symbol('storage');
/**
 * Origin of updates another process committed (from the stream, or caught up from the
 * store): relayed to this process's connections, neither stored again nor published.
 */
const FROM_CLUSTER = Symbol('cluster');
/** Origin of awareness states from other processes: relayed here, not published again. */
const FROM_CLUSTER_AWARENESS = Symbol('cluster-awareness');
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
  /**
   * After updates were committed: the new clocks of the Yjs client ids they touched, and
   * whether they may have changed the structure (criteria, options, names, weights): false
   * only when the document guard saw that none of them did.
   */
  onCommitted(boardId: string, clocks: [client: number, clock: number][], structure: boolean): void;
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
export class BoardRoom implements BusMember {
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
  /** An update of the pending batch may change the structure (see RoomHooks.onCommitted). */
  private pendingStructure = false;
  private batchScheduled = false;
  /**
   * The sequence number up to which every committed update is in `doc` (with a cluster:
   * contiguous, whatever order the processes' batches arrive in). Compaction folds up to it.
   */
  private lastSeq = 0;
  /** Own batches committed beyond `lastSeq` (others' batches before them not yet here): first → last. */
  private readonly ahead = new Map<number, number>();
  /** Other processes' batches that arrived beyond a gap, by first sequence number. */
  private readonly early = new Map<number, DocEntry>();
  /** The highest sequence number known to be committed (own, read or announced). */
  private knownSeq = 0;
  private gapTimer: NodeJS.Timeout | null = null;
  /** The catch-up under way (it runs once more for requests made while it runs). */
  private catchingUp: Promise<void> | null = null;
  private compactQueued = false;
  /** The stored state is applied (set before `ready` resolves, unlike `loaded`). */
  private applied = false;
  private catchUpAgain = false;
  /** Awareness client ids whose states came from another process, and which. */
  private readonly remoteAwareness = new Map<number, string>();
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
    /** The document channel to other processes; null with one process. */
    private readonly bus: DocBus | null = null,
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
    if (this.bus) return this.loadClustered(this.bus);
    const [stored, owners, version] = await Promise.all([
      this.store.loadDocument(this.boardId),
      this.store.listDocClients(this.boardId),
      this.store.documentVersion(this.boardId),
      this.hooks.prepare(this.boardId),
    ]);
    if (this.destroyed) return;
    this.applyLoaded(stored, owners, version, stored.lastSeq);
  }

  /**
   * With other processes: read the board's stream position first, then the store, so every
   * batch committed after the read is in what was read or in the stream. The version read
   * before the document is a sequence number the document surely covers; owners are read
   * after it, so every client id in it has its owner (SPEC D12).
   */
  private async loadClustered(bus: DocBus): Promise<void> {
    await Promise.all([bus.join(this), this.hooks.prepare(this.boardId)]);
    if (this.destroyed) return;
    const covered = await this.store.documentVersion(this.boardId);
    const stored = await this.store.loadDocument(this.boardId);
    const owners = await this.store.listDocClients(this.boardId);
    if (this.destroyed) return;
    this.applyLoaded(stored, owners, Math.max(covered, stored.lastSeq), Math.max(covered, stored.lastSeq));
    this.knownSeq = Math.max(this.knownSeq, this.lastSeq);
    this.applied = true;
    // Batches that arrived while loading.
    this.drain();
  }

  private applyLoaded(
    stored: StoredDocument,
    owners: DocClientOwner[],
    version: number,
    lastSeq: number,
  ): void {
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
    this.lastSeq = lastSeq;
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
        return this.receiveUpdate(conn, decoding.readVarUint8Array(decoder), false);
      case syncProtocol.messageYjsUpdate:
        return this.receiveUpdate(conn, decoding.readVarUint8Array(decoder), true);
      default:
        return { code: YJS_CLOSE.BAD_MESSAGE, reason: 'unknown sync message' };
    }
  }

  /**
   * Guards, applies and queues an update from a connection. `incremental`: an update message
   * (one transaction of the sender), not a sync step 2 (everything the server lacked, with
   * the sender's whole delete set).
   */
  private receiveUpdate(
    conn: Connection,
    update: Uint8Array,
    incremental: boolean,
  ): { code: number; reason: string } | null {
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
      verifySealed: this.verifySealed,
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
    if (verdict.structure) this.pendingStructure = true;
    // The structure before, whole (a removed criterion is kept to be restored), when the
    // update may change it: the history says who changed what, from the sender's connection.
    const before = verdict.structure ? structureShape(this.doc, true) : null;
    if (incremental) this.applyAsReceived(conn, update);
    else Y.applyUpdate(this.doc, update, conn);
    if (before) this.recordHistory(before, access.participantId, policy);
    return null;
  }

  private applyIn(tr: Y.Transaction, update: Uint8Array, conn: Connection): Y.Transaction {
    Y.applyUpdate(this.doc, update, conn);
    return tr;
  }

  private readonly verifySealed = (scope: string, value: unknown): boolean =>
    this.seal.verify(this.boardId, scope, value);

  /**
   * Applies an accepted update message and queues it for commit and relay as it came, encoded
   * once. Through the 'update' event, Yjs would encode what the transaction changed all over
   * again; the sender's transaction is that already. The guard refused anything Yjs would
   * keep pending (gaps), so all of it is applied; a message with nothing new (all known, or
   * deleting what was deleted) changes nothing and, as with the event, is neither stored nor
   * relayed. Parts the document already had may be stored and relayed with the new ones:
   * applying them again changes nothing. Sync step 2 keeps the event (it carries the sender's
   * whole delete set: only what is new is worth storing).
   */
  private applyAsReceived(conn: Connection, update: Uint8Array): void {
    // Nothing on the server observes the document, so no other transaction runs meanwhile.
    this.doc.off('update', this.docUpdateListener);
    let applied: Y.Transaction;
    try {
      applied = Y.transact(this.doc, (tr) => this.applyIn(tr, update, conn), conn, false);
    } finally {
      this.doc.on('update', this.docUpdateListener);
    }
    if (changedAnything(applied)) this.onDocUpdate(update, conn);
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
    if (origin === FROM_CLUSTER) {
      // Committed by another process: relay what was new here (never stored or published again).
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE.sync);
      syncProtocol.writeUpdate(encoder, update);
      const message = sendable(encoding.toUint8Array(encoder));
      for (const conn of this.connections.values()) this.send(conn, message);
      return;
    }
    const conn = origin && typeof origin === 'object' && 'access' in origin ? (origin as Connection) : null;
    if (!conn) {
      // A server-side change (status mirror, evidence): written with the server's own id.
      const own = this.doc.clientID;
      if (!this.owners.has(own)) {
        this.owners.set(own, SERVER_OWNER);
        this.pendingClaims.push({ clientId: own, owner: SERVER_OWNER });
      }
      this.pendingTouched.add(own);
      this.pendingStructure = true;
    }
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE.sync);
    syncProtocol.writeUpdate(encoder, update);
    this.pending.push({ update, message: sendable(encoding.toUint8Array(encoder)), origin: conn });
    if (!this.batchScheduled) {
      this.batchScheduled = true;
      this.enqueue(() => this.commitBatch());
    }
  }

  private async commitBatch(): Promise<void> {
    // Let the rest of this turn's messages (other sockets included) join the batch. Every room
    // of the process waits for the same turn, so their appends are made together (the SQLite
    // store commits them in one transaction).
    await nextTurn();
    this.batchScheduled = false;
    const batch = this.pending;
    const claims = this.pendingClaims;
    const touched = this.pendingTouched;
    const structure = this.pendingStructure;
    this.pending = [];
    this.pendingClaims = [];
    this.pendingTouched = new Set();
    this.pendingStructure = false;
    if (batch.length === 0) return;
    // Clocks as of now: the doc holds exactly what this batch commits (later updates wait).
    const clocks: [number, number][] = [...touched].map((c) => [c, Y.getState(this.doc.store, c)]);
    const updates = batch.map((p) => p.update);
    const last = await this.store.appendUpdates(this.boardId, updates, claims);
    if (this.failed) return;
    if (this.bus) {
      // Published only now: what other processes relay is committed (SPEC D1).
      this.bus.publish(this.boardId, last, updates, claims);
      this.noteCommitted(last - updates.length + 1, last);
      this.version = Math.max(this.version, last);
    } else {
      this.lastSeq = last;
      this.version = last;
    }
    for (const [client, clock] of clocks) this.committed.set(client, clock);
    for (const p of batch) {
      this.storedBytes += p.update.byteLength;
      this.updatesSinceSnapshot += 1;
      for (const conn of this.connections.values()) {
        if (conn !== p.origin) this.send(conn, p.message);
      }
    }
    this.hooks.onCommitted(this.boardId, clocks, structure);
    if (this.updatesSinceSnapshot >= COMPACT_AFTER_UPDATES) await this.compact();
  }

  /** Folds the stored updates into one snapshot of the in-memory document. */
  private async compact(): Promise<void> {
    // Updates applied but still waiting for their batch may be in the snapshot too: they
    // are then stored twice (here and as their own rows), which Yjs applies idempotently.
    // Refused updates never reach the doc, so nothing refused is ever stored.
    // With other processes, `lastSeq` is the contiguous prefix the doc surely holds (not the
    // newest own batch): nothing another process committed is deleted unfolded.
    const snapshot = Y.encodeStateAsUpdate(this.doc);
    await this.store.compact(this.boardId, snapshot, this.lastSeq);
    this.updatesSinceSnapshot = 0;
    this.storedBytes = snapshot.byteLength;
  }

  // ---- other processes (server/cluster/doc-bus.ts) --------------------------------------------

  /** An own batch [first, last] is committed: it is in the doc, maybe beyond a gap. */
  private noteCommitted(first: number, last: number): void {
    this.knownSeq = Math.max(this.knownSeq, last);
    if (first <= this.lastSeq + 1) this.lastSeq = Math.max(this.lastSeq, last);
    else this.ahead.set(first, last);
    this.drain();
  }

  /** A batch another process committed (BusMember). */
  receiveEntry(entry: DocEntry): void {
    if (this.destroyed || this.failed) return;
    this.knownSeq = Math.max(this.knownSeq, entry.lastSeq);
    if (entry.updates.length > 0 && entry.lastSeq > this.lastSeq) {
      const first = entry.lastSeq - entry.updates.length + 1;
      if (this.early.size < CLUSTER.MAX_EARLY_ENTRIES) this.early.set(first, entry);
    }
    if (this.applied) this.drain();
  }

  /**
   * Applies the batches that continue the contiguous prefix, in order, and folds own
   * batches committed ahead; a gap left open is filled from the store after a short wait
   * (the batch before it may still be on its way through the stream).
   */
  private drain(): void {
    if (!this.applied || this.destroyed || this.failed) return;
    for (let progress = true; progress; ) {
      progress = false;
      const own = this.ahead.get(this.lastSeq + 1);
      if (own !== undefined) {
        this.ahead.delete(this.lastSeq + 1);
        this.lastSeq = Math.max(this.lastSeq, own);
        progress = true;
      }
      for (const [first, entry] of this.early) {
        if (entry.lastSeq <= this.lastSeq) {
          this.early.delete(first);
        } else if (first <= this.lastSeq + 1) {
          this.early.delete(first);
          this.applyEntry(entry);
          progress = true;
        }
      }
    }
    for (const [first, last] of this.ahead) if (last <= this.lastSeq) this.ahead.delete(first);
    if (this.knownSeq <= this.lastSeq) {
      if (this.gapTimer) clearTimeout(this.gapTimer);
      this.gapTimer = null;
    } else if (!this.gapTimer) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = null;
        if (this.knownSeq > this.lastSeq) this.catchUp();
      }, CLUSTER.GAP_WAIT_MS);
      this.gapTimer.unref();
    }
  }

  private applyEntry(entry: DocEntry): void {
    // Owners first: the content they claim is in the same batch (SPEC D12).
    for (const o of entry.owners) if (!this.owners.has(o.clientId)) this.owners.set(o.clientId, o.owner);
    this.applyCommitted(entry.updates);
    this.lastSeq = Math.max(this.lastSeq, entry.lastSeq);
  }

  /** Applies updates committed elsewhere: relayed (FROM_CLUSTER), counted, reported. */
  private applyCommitted(updates: Uint8Array[], count = true): void {
    this.doc.transact(() => {
      for (const u of updates) Y.applyUpdate(this.doc, u, FROM_CLUSTER);
    }, FROM_CLUSTER);
    for (const u of updates) {
      if (count) {
        this.storedBytes += u.byteLength;
        this.updatesSinceSnapshot += 1;
      }
      // Only the ids these updates wrote: the doc may also hold own edits not yet committed.
      for (const [client, clock] of Y.parseUpdateMeta(u).to) {
        if ((this.committed.get(client) ?? 0) < clock) this.committed.set(client, clock);
        // Content under an id whose owner never reached us: nobody here may extend it.
        if (!this.owners.has(client)) this.owners.set(client, NOBODY);
      }
    }
    this.version = Math.max(this.version, this.lastSeq);
    // No clocks: the process that committed reports them; this refreshes what depends on the
    // doc. Not guarded here: it may have changed anything.
    this.hooks.onCommitted(this.boardId, [], true);
    if (this.updatesSinceSnapshot >= COMPACT_AFTER_UPDATES && !this.compactQueued) {
      // One queued compaction at a time: entries keep coming while it waits.
      this.compactQueued = true;
      this.enqueue(async () => {
        try {
          await this.compact();
        } finally {
          this.compactQueued = false;
        }
      });
    }
  }

  /**
   * Reads what is missing from the store (BusMember): after a gap that did not fill, after
   * Redis was away, or when an entry could not be read. One at a time; a request during a
   * run runs once more after it. A store failure fails the room (clients resync).
   */
  catchUp(): void {
    // caughtUp() never rejects (a failure fails the room); the handler only says so.
    this.caughtUp().catch(() => {});
  }

  /** `catchUp()`, resolved once what was committed before the call is in the doc (or the room failed). */
  caughtUp(): Promise<void> {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return this.catchingUp;
    }
    const run = async () => {
      await this.ready;
      do {
        this.catchUpAgain = false;
        if (this.destroyed || this.failed) return;
        await this.catchUpOnce();
      } while (this.catchUpAgain);
    };
    // Never rejects: a failure fails the room, which its callers check.
    const running = run()
      .catch((err: unknown) => {
        if (!this.destroyed) this.failStorage(err);
      })
      .finally(() => {
        if (this.catchingUp === running) this.catchingUp = null;
      });
    this.catchingUp = running;
    return running;
  }

  private async catchUpOnce(): Promise<void> {
    const store = this.store;
    const since = this.lastSeq;
    const rows = await store.loadUpdatesSince(this.boardId, since);
    let stored: StoredDocument | null = null;
    let covered = 0;
    if (rows === null) {
      // Folded into a snapshot meanwhile: merge the whole stored document (Yjs is idempotent).
      covered = await store.documentVersion(this.boardId);
      stored = await store.loadDocument(this.boardId);
    }
    const owners = await store.listDocClients(this.boardId);
    if (this.destroyed || this.failed) return;
    for (const o of owners) if (!this.owners.has(o.clientId)) this.owners.set(o.clientId, o.owner);
    if (stored) {
      const updates = stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates;
      this.applyCommitted(updates, false);
      this.storedBytes = stored.storedBytes;
      this.updatesSinceSnapshot = stored.updates.length;
      this.lastSeq = Math.max(this.lastSeq, covered, stored.lastSeq);
    } else if (rows && rows.length > 0) {
      this.applyCommitted(rows.map((r) => r.update));
      this.lastSeq = Math.max(this.lastSeq, rows[rows.length - 1]?.seq ?? 0);
    }
    this.knownSeq = Math.max(this.knownSeq, this.lastSeq);
    this.drain();
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
      // Set through another process: that process's connection owns it.
      if (this.remoteAwareness.has(client)) continue;
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
    if (this.bus && origin !== FROM_CLUSTER_AWARENESS) {
      // Only what this process's connections own; others publish their own.
      const own = changed.filter((id) => !this.remoteAwareness.has(id));
      if (own.length > 0) {
        this.bus.publishAwareness(this.boardId, awarenessProtocol.encodeAwarenessUpdate(this.awareness, own));
      }
    }
    // Removed here (a timeout): no longer counted against the bound.
    for (const id of changes.removed) this.remoteAwareness.delete(id);
  }

  /** Awareness states from another process (BusMember): relayed here, within bounds. */
  receiveAwareness(processId: string, update: Uint8Array): void {
    if (this.destroyed) return;
    const decoder = decoding.createDecoder(update);
    const count = decoding.readVarUint(decoder);
    const kept: { client: number; clock: number; state: string }[] = [];
    for (let i = 0; i < count && i < LIMITS.MAX_AWARENESS_IDS_PER_CONNECTION * 64; i++) {
      const client = decoding.readVarUint(decoder);
      const clock = decoding.readVarUint(decoder);
      const state = decoding.readVarString(decoder);
      // Ours to say (a connection here owns it), too big, or one too many.
      if (this.awarenessOwners.has(client) || state.length > LIMITS.MAX_AWARENESS_STATE_CHARS) continue;
      const from = this.remoteAwareness.get(client);
      if (from === undefined && this.remoteAwareness.size >= CLUSTER.MAX_REMOTE_AWARENESS_STATES) continue;
      if (state === 'null') this.remoteAwareness.delete(client);
      else this.remoteAwareness.set(client, processId);
      kept.push({ client, clock, state });
    }
    if (kept.length === 0) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, kept.length);
    for (const k of kept) {
      encoding.writeVarUint(encoder, k.client);
      encoding.writeVarUint(encoder, k.clock);
      encoding.writeVarString(encoder, k.state);
    }
    awarenessProtocol.applyAwarenessUpdate(
      this.awareness,
      encoding.toUint8Array(encoder),
      FROM_CLUSTER_AWARENESS,
    );
  }

  /** A process went silent (BusMember): its connections' states go, and everyone here is told. */
  dropProcessAwareness(processId: string): void {
    if (this.destroyed) return;
    const gone = [...this.remoteAwareness].filter(([, p]) => p === processId).map(([id]) => id);
    if (gone.length === 0) return;
    for (const id of gone) this.remoteAwareness.delete(id);
    awarenessProtocol.removeAwarenessStates(this.awareness, gone, FROM_CLUSTER_AWARENESS);
  }

  /** The states of this process's own connections, for a process that just loaded the board. */
  localAwareness(): Uint8Array | null {
    if (this.destroyed) return null;
    const own = [...this.awarenessOwners.keys()].filter((id) => this.awareness.getStates().has(id));
    return own.length > 0 ? awarenessProtocol.encodeAwarenessUpdate(this.awareness, own) : null;
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
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.bus?.leave(this);
    this.awareness.destroy();
    this.doc.destroy();
  }
}

let turn: Promise<void> | null = null;

/** Resolves in the next check phase of the event loop: one setImmediate for every room waiting. */
function nextTurn(): Promise<void> {
  turn ??= new Promise<void>((resolve) =>
    setImmediate(() => {
      turn = null;
      resolve();
    }),
  );
  return turn;
}

/** Whether a finished transaction changed the document (as Yjs decides whether to emit 'update'). */
function changedAnything(tr: Y.Transaction): boolean {
  if (tr.deleteSet.clients.size > 0) return true;
  for (const [client, clock] of tr.afterState) if (tr.beforeState.get(client) !== clock) return true;
  return false;
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
  return sendable(encoding.toUint8Array(encoder));
}

/**
 * A message sent to many connections, as a Buffer over the same bytes (no copy): ws sends a
 * Buffer as it is, and wraps anything else in a new Buffer on every send.
 */
function sendable(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
