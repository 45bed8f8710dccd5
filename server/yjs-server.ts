import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { LIMITS } from '@/lib/limits';
import { YJS_CLOSE } from '@/lib/protocol';
import type { BoardDirectory } from './board-directory';
import { BoardRoom, type Connection, type DocAccess, RoomFailedError, type RoomHooks } from './board-room';
import type { DocBus } from './cluster/doc-bus';
import type { DocSeal } from './doc-seal';
import { fireAndForget } from './fire-and-forget';
import type { Logger } from './logger';
import { boardTag } from './logger';
import { KeyedRateLimiter, type RateLimit, TokenBucket } from './rate-limit';
import { secretMatches } from './secrets';
import type { BoardStore } from './storage/types';

export const YJS_PATH_PREFIX = '/yjs/';
/** How often dead connections are detected (WebSocket ping/pong). */
export const YJS_PING_INTERVAL_MS = 30_000;
/** Longest room name or credential accepted in a document address. */
const MAX_ADDRESS_PART_CHARS = 64;

export type YjsServerHooks = Omit<RoomHooks, 'onFailed'>;

/** What a client asks for in `/yjs/<room>?participant=<id>&token=<token>`. */
export interface DocAddress {
  room: string;
  participant: string | null;
  token: string | null;
}

/**
 * Reads a document address. Null when it is malformed (bad percent-encoding, an empty or
 * over-long room): such a request is refused, it never throws.
 */
export function parseDocAddress(url: string): DocAddress | null {
  if (!url.startsWith(YJS_PATH_PREFIX)) return null;
  const rest = url.slice(YJS_PATH_PREFIX.length);
  const q = rest.indexOf('?');
  let room: string;
  try {
    room = decodeURIComponent(q >= 0 ? rest.slice(0, q) : rest);
  } catch {
    return null;
  }
  if (room === '' || room.length > MAX_ADDRESS_PART_CHARS || room.includes('/')) return null;
  const params = new URLSearchParams(q >= 0 ? rest.slice(q + 1) : '');
  const part = (name: string) => {
    const v = params.get(name);
    return v && v.length <= MAX_ADDRESS_PART_CHARS ? v : null;
  };
  return { room, participant: part('participant'), token: part('token') };
}

type Authorization = { access: DocAccess } | { refuse: number; reason: string };

export interface YjsServerOptions {
  /** The client's address, for per-address limits (honours a trusted proxy when configured). */
  clientAddress?: (req: IncomingMessage) => string;
  now?: () => number;
  /** Unsent bytes kept for one connection before it is dropped (LIMITS.MAX_YJS_BUFFERED_BYTES). */
  maxBufferedBytes?: number;
  /** New connections per client address instead of LIMITS' (the bench lifts it). */
  connectsPerAddress?: RateLimit;
  /** The document channel to other processes (REDIS_URL); none with one process. */
  bus?: DocBus | null;
}

/**
 * The board document endpoint: the standard y-websocket protocol at /yjs/<room>, where
 * <room> is a board id (read-write, with the participant's credentials as query
 * parameters) or a viewer key (read-only). A connection is authorized before the
 * WebSocket handshake completes; rooms are loaded on the first connection and dropped from
 * memory after the last one leaves.
 */
export class YjsServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.MAX_YJS_MESSAGE_BYTES });
  private readonly rooms = new Map<string, BoardRoom>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly pingTimer: NodeJS.Timeout;
  /** Connections authorized but not yet in their room (the board is loading). */
  private readonly joining = new Set<{ access: DocAccess; socket: WebSocket }>();
  private readonly connects: KeyedRateLimiter;
  private readonly clientAddress: (req: IncomingMessage) => string;
  private readonly now: () => number;
  private readonly maxBufferedBytes: number;
  private readonly bus: DocBus | null;

  constructor(
    private readonly store: BoardStore,
    private readonly directory: BoardDirectory,
    private readonly seal: DocSeal,
    private readonly hooks: YjsServerHooks,
    private readonly log: Logger,
    options: YjsServerOptions = {},
  ) {
    this.connects = new KeyedRateLimiter(
      options.connectsPerAddress ?? {
        capacity: LIMITS.YJS_CONNECTS_BURST,
        refillPerSecond: LIMITS.YJS_CONNECTS_PER_SECOND,
      },
    );
    this.clientAddress = options.clientAddress ?? ((req) => req.socket.remoteAddress ?? 'unknown');
    this.now = options.now ?? Date.now;
    this.maxBufferedBytes = options.maxBufferedBytes ?? LIMITS.MAX_YJS_BUFFERED_BYTES;
    this.bus = options.bus ?? null;
    this.pingTimer = setInterval(() => this.pingAll(), YJS_PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A raw socket's 'error' without a listener would crash the process.
    socket.on('error', () => socket.destroy());
    const address = parseDocAddress(req.url ?? '');
    if (!this.connects.take(this.clientAddress(req), this.now()).ok) {
      this.refuse(req, socket, head, YJS_CLOSE.RATE_LIMITED, 'too many connections; reconnect later');
      return;
    }
    if (!address) {
      this.refuse(req, socket, head, YJS_CLOSE.BAD_MESSAGE, 'malformed board address');
      return;
    }
    // Authorize first, then complete the handshake: nothing is read from an unauthorized socket.
    this.authorize(address).then(
      (auth) => {
        if ('refuse' in auth) this.refuse(req, socket, head, auth.refuse, auth.reason);
        else this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, auth.access));
      },
      (err: unknown) => {
        this.log.error('yjs: could not look the board up', { error: String(err) });
        this.refuse(req, socket, head, YJS_CLOSE.STORAGE_FAILED, 'storage failed');
      },
    );
  }

  /** Completes the handshake only to close with a documented code the client can read. */
  private refuse(req: IncomingMessage, socket: Duplex, head: Buffer, code: number, reason: string): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      ws.close(code, reason);
    });
  }

  private async authorize(address: DocAddress): Promise<Authorization> {
    const board = await this.directory.getBoard(address.room);
    if (board) {
      const refused = {
        refuse: YJS_CLOSE.CREDENTIALS_REQUIRED,
        reason: 'join the board first: connect with ?participant=<id>&token=<token>',
      };
      if (!address.participant || !address.token) return refused;
      const p = await this.store.getParticipant(board.id, address.participant);
      if (!p || !secretMatches(address.token, p.tokenHash)) return refused;
      if (p.removed) return { refuse: YJS_CLOSE.FORBIDDEN, reason: 'removed from this board' };
      return { access: { role: 'participant', boardId: board.id, participantId: p.id } };
    }
    const viewed = await this.directory.getBoardByViewerKey(address.room);
    if (viewed) return { access: { role: 'viewer', boardId: viewed.id } };
    return { refuse: YJS_CLOSE.UNKNOWN_BOARD, reason: 'unknown board' };
  }

  private accept(ws: WebSocket, access: DocAccess): void {
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    const now = this.now();
    const conn: Connection = {
      socket: ws,
      access,
      awarenessIds: new Set(),
      messages: new TokenBucket(
        { capacity: LIMITS.YJS_MESSAGES_BURST, refillPerSecond: LIMITS.YJS_MESSAGES_PER_SECOND },
        now,
      ),
      bytes: new TokenBucket(
        { capacity: LIMITS.YJS_BYTES_BURST, refillPerSecond: LIMITS.YJS_BYTES_PER_SECOND },
        now,
      ),
      syncRequests: new TokenBucket(
        { capacity: LIMITS.YJS_SYNC_REQUESTS_BURST, refillPerSecond: LIMITS.YJS_SYNC_REQUESTS_PER_SECOND },
        now,
      ),
    };
    // Messages can arrive while the board loads; keep them in order, but only so many.
    const early: Uint8Array[] = [];
    let earlyBytes = 0;
    let room: BoardRoom | null = null;
    ws.on('message', (data, isBinary) => {
      const bytes = toBytes(data);
      if (!isBinary || !bytes) {
        ws.close(YJS_CLOSE.BAD_MESSAGE, 'binary y-websocket messages only');
        return;
      }
      if (room) {
        this.dispatch(room, conn, bytes);
        return;
      }
      earlyBytes += bytes.byteLength;
      if (early.length >= LIMITS.MAX_YJS_EARLY_MESSAGES || earlyBytes > LIMITS.MAX_YJS_EARLY_BYTES) {
        ws.close(YJS_CLOSE.RATE_LIMITED, 'too many messages before the board was loaded');
        return;
      }
      early.push(bytes);
    });
    ws.on('error', () => ws.terminate());
    const joining = { access, socket: ws };
    this.joining.add(joining);
    ws.on('close', () => {
      this.joining.delete(joining);
      if (room) this.release(room, ws);
    });
    this.attach(conn).then(
      (r) => {
        this.joining.delete(joining);
        if (!r) return;
        room = r;
        for (const bytes of early.splice(0)) {
          if (ws.readyState !== ws.OPEN) break;
          this.dispatch(r, conn, bytes);
        }
      },
      (err: unknown) => {
        this.joining.delete(joining);
        this.log.error('yjs: could not open board', { board: boardTag(access.boardId), error: String(err) });
        ws.close(YJS_CLOSE.STORAGE_FAILED, 'could not load board');
      },
    );
  }

  /**
   * Puts a connection into its board's room once the room is loaded. The room is pinned
   * while we wait, and re-checked after the wait: a room evicted or failed meanwhile is
   * replaced, never joined (its document would be destroyed and edits lost).
   */
  private async attach(conn: Connection): Promise<BoardRoom | null> {
    const boardId = conn.access.boardId;
    for (let attempt = 0; attempt < 3; attempt++) {
      const room = this.getRoom(boardId);
      room.pins++;
      try {
        await room.ready;
      } catch (err) {
        this.drop(room);
        throw err;
      } finally {
        room.pins--;
      }
      if (conn.socket.readyState !== conn.socket.OPEN) {
        this.maybeEvict(room);
        return null;
      }
      if (room.destroyed || room.isFailed || this.rooms.get(boardId) !== room) continue;
      room.addConnection(conn);
      return room;
    }
    throw new RoomFailedError();
  }

  private dispatch(room: BoardRoom, conn: Connection, bytes: Uint8Array): void {
    const closing = room.handleMessage(conn, bytes);
    if (closing) conn.socket.close(closing.code, closing.reason);
  }

  private getRoom(boardId: string): BoardRoom {
    let room = this.rooms.get(boardId);
    if (!room || room.isFailed || room.destroyed) {
      room = new BoardRoom(
        boardId,
        this.store,
        this.seal,
        { ...this.hooks, onFailed: (r) => this.drop(r) },
        this.log,
        this.now,
        this.maxBufferedBytes,
        this.bus,
      );
      this.rooms.set(boardId, room);
    }
    return room;
  }

  /**
   * Forgets a room whose load or storage failed, and destroys it once its queue is done.
   * Whoever still waits on it gets RoomFailedError (the room says it failed), not its doc.
   */
  private drop(room: BoardRoom): void {
    if (this.rooms.get(room.boardId) === room) this.rooms.delete(room.boardId);
    fireAndForget(
      room.settled().then(() => room.destroy()),
      this.log,
      'yjs: dropping a failed room',
    );
  }

  private release(room: BoardRoom, ws: WebSocket): void {
    room.removeConnection(ws);
    this.maybeEvict(room);
  }

  /** Drops an idle room from memory once its pending commits are done. */
  private maybeEvict(room: BoardRoom): void {
    if (room.connections.size > 0 || room.pins > 0) return;
    fireAndForget(
      room.settled().then(() => {
        if (room.connections.size === 0 && room.pins === 0 && this.rooms.get(room.boardId) === room) {
          this.rooms.delete(room.boardId);
          room.destroy();
        }
      }),
      this.log,
      'yjs: evicting an idle room',
    );
  }

  /**
   * Runs `fn` against the board's live document, loading it if no client has it open, and
   * resolves once any change it made is committed (and relayed). Rejects with
   * RoomFailedError when storage failed: then nothing `fn` changed was kept.
   */
  async withDoc<T>(
    boardId: string,
    fn: (room: BoardRoom) => T,
    options: { current?: boolean } = {},
  ): Promise<T> {
    const room = this.getRoom(boardId);
    room.pins++;
    try {
      try {
        await room.ready;
      } catch (err) {
        this.drop(room);
        throw err;
      }
      // `current`, with other processes: first read from the store what they committed and
      // the stream has not brought (yet, or at all while Redis is away). A count `fn` checks in
      // the board's lock then sees every commit before it (the evidence and restored-criteria
      // caps hold across processes).
      if (options.current && this.bus && !room.destroyed && !room.isFailed) await room.caughtUp();
      if (room.destroyed || room.isFailed) throw new RoomFailedError();
      const result = fn(room);
      await room.flushed();
      return result;
    } finally {
      room.pins--;
      this.maybeEvict(room);
    }
  }

  /** Closes the document connections of a participant who was removed from the board. */
  closeParticipant(boardId: string, participantId: string): void {
    const room = this.rooms.get(boardId);
    for (const conn of room?.connectionsOf(participantId) ?? []) {
      conn.socket.close(YJS_CLOSE.FORBIDDEN, 'removed from this board');
    }
    for (const j of this.joining) {
      if (
        j.access.boardId === boardId &&
        j.access.role === 'participant' &&
        j.access.participantId === participantId
      ) {
        j.socket.close(YJS_CLOSE.FORBIDDEN, 'removed from this board');
      }
    }
  }

  /** The loaded room of a board, if any client has it open. */
  loadedRoom(boardId: string): BoardRoom | undefined {
    return this.rooms.get(boardId);
  }

  get loadedRoomCount(): number {
    return this.rooms.size;
  }

  private pingAll(): void {
    for (const ws of this.wss.clients) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.pingTimer);
    for (const ws of this.wss.clients) ws.close(YJS_CLOSE.GOING_AWAY, 'server shutting down');
    await Promise.all([...this.rooms.values()].map((r) => r.settled()));
    for (const room of this.rooms.values()) room.destroy();
    this.rooms.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof Buffer) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data as Buffer[]));
  return null;
}
