import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { WebSocket } from 'ws';
import * as authProtocol from 'y-protocols/auth';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { LIMITS } from '@/lib/limits';
import { YJS_CLOSE } from '@/lib/protocol';
import { inspectUpdate } from './doc-guard';
import { boardTag, type Logger } from './logger';
import { applyStored } from './storage/stored-doc';
import type { BoardStore } from './storage/types';

/** y-websocket message types (y-websocket's own numbering). */
const MESSAGE = { sync: 0, awareness: 1, auth: 2, queryAwareness: 3 } as const;

/** Updates appended since the last snapshot before the room compacts them into one. */
export const COMPACT_AFTER_UPDATES = 500;

export interface Connection {
  socket: WebSocket;
  /** Viewers, and everyone while the board is not open, may read but not write. */
  readOnly: boolean;
  /** Awareness client ids this connection controls, removed when it closes. */
  awarenessIds: Set<number>;
}

export interface RoomHooks {
  /** Called after updates to a board were committed. */
  onCommitted(boardId: string): void;
  /** Whether the board accepts document writes (false once locked or finalized). */
  isWritable(boardId: string): boolean;
  /** Loads what `isWritable` needs; awaited before the room answers anything. */
  prepare(boardId: string): Promise<void>;
}

/**
 * One loaded board: its Y.Doc, its connections and its awareness. The room
 * - loads the stored state before it answers anything (`ready`);
 * - commits each document change to storage before relaying it to anyone (the outbox
 *   chain keeps messages in order behind each commit);
 * - refuses malformed or oversized updates with a close code, leaving the doc untouched.
 */
export class BoardRoom {
  readonly doc = new Y.Doc({ gc: true });
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  readonly connections = new Map<WebSocket, Connection>();
  readonly ready: Promise<void>;
  private outbox: Promise<void> = Promise.resolve();
  private lastSeq = 0;
  private updatesSinceSnapshot = 0;
  private storedBytes = 0;
  private failed = false;
  destroyed = false;
  /** Server-side users (e.g. a command writing evidence); the room stays loaded while > 0. */
  pins = 0;

  constructor(
    readonly boardId: string,
    private readonly store: BoardStore,
    private readonly hooks: RoomHooks,
    private readonly log: Logger,
  ) {
    // The server's own awareness state stays empty: it is not a collaborator.
    this.awareness.setLocalState(null);
    this.ready = this.load();
    this.doc.on('update', (update: Uint8Array, origin: unknown) => this.onDocUpdate(update, origin));
    this.awareness.on(
      'update',
      (changes: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) =>
        this.onAwarenessUpdate(changes, origin),
    );
  }

  private async load(): Promise<void> {
    const [stored] = await Promise.all([
      this.store.loadDocument(this.boardId),
      this.hooks.prepare(this.boardId),
    ]);
    applyStored(this.doc, stored, 'storage');
    this.lastSeq = stored.lastSeq;
    this.updatesSinceSnapshot = stored.updates.length;
    this.storedBytes = stored.storedBytes;
    // A long tail of updates (e.g. the process died before compacting) is folded now, so
    // the next load reads one snapshot.
    if (this.updatesSinceSnapshot >= COMPACT_AFTER_UPDATES) this.enqueue(() => this.compact());
  }

  /** Queues work behind every earlier commit so relays never overtake storage. */
  private enqueue(task: () => Promise<void> | void): void {
    this.outbox = this.outbox.then(task).catch((err: unknown) => this.failStorage(err));
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
    if (states.size > 0) {
      this.send(conn, encodeAwareness(this.awareness, [...states.keys()]));
    }
  }

  removeConnection(socket: WebSocket): void {
    const conn = this.connections.get(socket);
    if (!conn) return;
    this.connections.delete(socket);
    awarenessProtocol.removeAwarenessStates(this.awareness, [...conn.awarenessIds], null);
  }

  /** Handles one binary message. Returns a close code when the connection must be closed. */
  handleMessage(conn: Connection, data: Uint8Array): number | null {
    if (this.failed) return YJS_CLOSE.STORAGE_FAILED;
    try {
      const decoder = decoding.createDecoder(data);
      const type = decoding.readVarUint(decoder);
      switch (type) {
        case MESSAGE.sync:
          return this.handleSync(conn, decoder);
        case MESSAGE.awareness: {
          const update = decoding.readVarUint8Array(decoder);
          awarenessProtocol.applyAwarenessUpdate(this.awareness, update, conn);
          return null;
        }
        case MESSAGE.queryAwareness:
          this.send(conn, encodeAwareness(this.awareness, [...this.awareness.getStates().keys()]));
          return null;
        case MESSAGE.auth:
          return null;
        default:
          return YJS_CLOSE.BAD_MESSAGE;
      }
    } catch (err) {
      this.log.warn('yjs: bad message', { board: boardTag(this.boardId), error: String(err) });
      return YJS_CLOSE.BAD_MESSAGE;
    }
  }

  private handleSync(conn: Connection, decoder: decoding.Decoder): number | null {
    const syncType = decoding.readVarUint(decoder);
    switch (syncType) {
      case syncProtocol.messageYjsSyncStep1: {
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
      case syncProtocol.messageYjsUpdate: {
        const update = decoding.readVarUint8Array(decoder);
        return this.receiveUpdate(conn, update);
      }
      default:
        return YJS_CLOSE.BAD_MESSAGE;
    }
  }

  private receiveUpdate(conn: Connection, update: Uint8Array): number | null {
    if (conn.readOnly || !this.hooks.isWritable(this.boardId)) {
      // Dropped, and the client is told with the standard y-protocols auth message.
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE.auth);
      authProtocol.writePermissionDenied(encoder, conn.readOnly ? 'read-only' : 'board is locked');
      this.send(conn, encoding.toUint8Array(encoder));
      return null;
    }
    const verdict = inspectUpdate(update);
    if (!verdict.ok) {
      this.log.warn('yjs: update refused', { board: boardTag(this.boardId), reason: verdict.reason });
      return YJS_CLOSE.BAD_MESSAGE;
    }
    if (this.storedBytes + update.byteLength > LIMITS.MAX_BOARD_BYTES) return YJS_CLOSE.BOARD_TOO_BIG;
    Y.applyUpdate(this.doc, update, conn);
    return null;
  }

  /** Every document change: commit, then relay to everyone but its sender. */
  private onDocUpdate(update: Uint8Array, origin: unknown): void {
    if (origin === 'storage') return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE.sync);
    syncProtocol.writeUpdate(encoder, update);
    const message = encoding.toUint8Array(encoder);
    this.enqueue(async () => {
      this.lastSeq = await this.store.appendUpdate(this.boardId, update);
      this.storedBytes += update.byteLength;
      this.updatesSinceSnapshot += 1;
      for (const conn of this.connections.values()) {
        if (conn !== origin) this.send(conn, message);
      }
      this.hooks.onCommitted(this.boardId);
      if (this.updatesSinceSnapshot >= COMPACT_AFTER_UPDATES) await this.compact();
    });
  }

  /** Folds the stored updates into one snapshot of the in-memory document. */
  private async compact(): Promise<void> {
    const snapshot = Y.encodeStateAsUpdate(this.doc);
    await this.store.compact(this.boardId, snapshot, this.lastSeq);
    this.updatesSinceSnapshot = 0;
    this.storedBytes = snapshot.byteLength;
  }

  private onAwarenessUpdate(
    changes: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void {
    const changed = [...changes.added, ...changes.updated, ...changes.removed];
    const conn =
      origin && typeof origin === 'object' && 'awarenessIds' in origin ? (origin as Connection) : null;
    if (conn) {
      for (const id of changes.added) conn.awarenessIds.add(id);
      for (const id of changes.removed) conn.awarenessIds.delete(id);
    }
    const message = encodeAwareness(this.awareness, changed);
    for (const c of this.connections.values()) this.send(c, message);
  }

  /** Applies a server-side change (e.g. the status mirror) as a normal committed update. */
  applyServerChange(change: (doc: Y.Doc) => void): void {
    this.doc.transact(() => change(this.doc), 'server');
  }

  /** Resolves once everything queued so far is committed and relayed. */
  flushed(): Promise<void> {
    return this.outbox;
  }

  private send(conn: Connection, message: Uint8Array): void {
    const ws = conn.socket;
    if (ws.readyState !== ws.OPEN) return;
    ws.send(message, { binary: true }, (err) => {
      if (err) ws.terminate();
    });
  }

  private failStorage(err: unknown): void {
    // The in-memory doc may now hold state that is not stored. Drop every connection so
    // clients resync against storage when the room is reloaded; they still hold their
    // own edits and send them again.
    this.failed = true;
    this.log.error('storage failed; closing board', { board: boardTag(this.boardId), error: String(err) });
    for (const conn of this.connections.values())
      conn.socket.close(YJS_CLOSE.STORAGE_FAILED, 'storage failed');
  }

  get isFailed(): boolean {
    return this.failed;
  }

  destroy(): void {
    this.destroyed = true;
    this.awareness.destroy();
    this.doc.destroy();
  }
}

function encodeAwareness(awareness: awarenessProtocol.Awareness, clients: number[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE.awareness);
  encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  return encoding.toUint8Array(encoder);
}
