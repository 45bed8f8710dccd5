import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { LIMITS } from '@/lib/limits';
import { YJS_CLOSE } from '@/lib/protocol';
import type { BoardDirectory } from './board-directory';
import { BoardRoom, type Connection, type RoomHooks } from './board-room';
import type { Logger } from './logger';
import { boardTag } from './logger';
import type { BoardStore } from './storage/types';

export const YJS_PATH_PREFIX = '/yjs/';
/** How often dead connections are detected (WebSocket ping/pong). */
export const YJS_PING_INTERVAL_MS = 30_000;

export type YjsServerHooks = RoomHooks;

/**
 * The board document endpoint: the standard y-websocket protocol at /yjs/<room>, where
 * <room> is a board id (read-write) or a viewer key (read-only). Rooms are loaded on
 * the first connection and dropped from memory after the last one leaves.
 */
export class YjsServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.MAX_YJS_MESSAGE_BYTES });
  private readonly rooms = new Map<string, BoardRoom>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly pingTimer: NodeJS.Timeout;

  constructor(
    private readonly store: BoardStore,
    private readonly directory: BoardDirectory,
    private readonly hooks: YjsServerHooks,
    private readonly log: Logger,
  ) {
    this.pingTimer = setInterval(() => this.pingAll(), YJS_PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      void this.accept(ws, req.url ?? '');
    });
  }

  private async accept(ws: WebSocket, url: string): Promise<void> {
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    // Messages can arrive while we look the board up and load it; keep them in order.
    const early: Uint8Array[] = [];
    let conn: Connection | null = null;
    let room: BoardRoom | null = null;
    ws.on('message', (data, isBinary) => {
      const bytes = toBytes(data);
      if (!isBinary || !bytes) {
        ws.close(YJS_CLOSE.BAD_MESSAGE, 'binary y-websocket messages only');
        return;
      }
      if (!room || !conn) early.push(bytes);
      else this.dispatch(room, conn, bytes);
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      if (room) this.release(room, ws);
    });

    const roomName = decodeURIComponent(url.slice(YJS_PATH_PREFIX.length).split('?')[0] ?? '');
    const access = await this.directory.resolveDocRoom(roomName).catch(() => null);
    if (!access) {
      ws.close(YJS_CLOSE.UNKNOWN_BOARD, 'unknown board');
      return;
    }
    if (ws.readyState !== ws.OPEN) return;
    const r = this.getRoom(access.boardId);
    try {
      await r.ready;
    } catch (err) {
      this.log.error('yjs: could not load board', { board: boardTag(access.boardId), error: String(err) });
      this.rooms.delete(access.boardId);
      ws.close(YJS_CLOSE.STORAGE_FAILED, 'could not load board');
      return;
    }
    if (ws.readyState !== ws.OPEN) {
      this.maybeEvict(r);
      return;
    }
    room = r;
    conn = { socket: ws, readOnly: access.readOnly, awarenessIds: new Set() };
    r.addConnection(conn);
    for (const bytes of early.splice(0)) this.dispatch(r, conn, bytes);
  }

  private dispatch(room: BoardRoom, conn: Connection, bytes: Uint8Array): void {
    const closeCode = room.handleMessage(conn, bytes);
    if (closeCode !== null) conn.socket.close(closeCode, closeReason(closeCode));
  }

  private getRoom(boardId: string): BoardRoom {
    let room = this.rooms.get(boardId);
    if (!room || room.isFailed) {
      room = new BoardRoom(boardId, this.store, this.hooks, this.log);
      this.rooms.set(boardId, room);
    }
    return room;
  }

  private release(room: BoardRoom, ws: WebSocket): void {
    room.removeConnection(ws);
    this.maybeEvict(room);
  }

  /** Drops an idle room from memory once its pending commits are done. */
  private maybeEvict(room: BoardRoom): void {
    if (room.connections.size > 0 || room.pins > 0) return;
    void room.flushed().then(() => {
      if (room.connections.size === 0 && room.pins === 0 && this.rooms.get(room.boardId) === room) {
        this.rooms.delete(room.boardId);
        room.destroy();
      }
    });
  }

  /**
   * Runs `fn` against the board's live document, loading it if no client has it open,
   * and resolves once any change it made is committed (and relayed).
   */
  async withDoc<T>(boardId: string, fn: (room: BoardRoom) => T): Promise<T> {
    const room = this.getRoom(boardId);
    room.pins++;
    try {
      await room.ready;
      const result = fn(room);
      await room.flushed();
      if (room.isFailed) throw new Error('storage failed');
      return result;
    } finally {
      room.pins--;
      this.maybeEvict(room);
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
    await Promise.all([...this.rooms.values()].map((r) => r.flushed()));
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

function closeReason(code: number): string {
  switch (code) {
    case YJS_CLOSE.BAD_MESSAGE:
      return 'malformed message';
    case YJS_CLOSE.BOARD_TOO_BIG:
      return 'board is full';
    case YJS_CLOSE.STORAGE_FAILED:
      return 'storage failed';
    default:
      return '';
  }
}
