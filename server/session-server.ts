import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import * as Y from 'yjs';
import { LIMITS } from '@/lib/limits';
import {
  type ClientToServerEvents,
  describeZodError,
  ERROR_CODES,
  EVENTS,
  fail,
  type InterServerEvents,
  type JoinResult,
  joinPayloadSchema,
  ok,
  PROTOCOL_VERSION,
  type Result,
  type RosterEntry,
  renamePayloadSchema,
  type ServerToClientEvents,
  type SessionState,
  type SocketData,
} from '@/lib/protocol';
import type { BoardDirectory } from './board-directory';
import { boardTag, type Logger } from './logger';
import { hashSecret, newSecret, secretMatches } from './secrets';
import type { BoardStore, ParticipantRow } from './storage/types';

type IoServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type IoSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Coalesces "saved" notices so a burst of edits costs one message per board. */
export const SAVED_NOTICE_DELAY_MS = 25;

const roomOf = (boardId: string) => `board:${boardId}`;

/**
 * The session channel: who is on a board and in which role. The server owns this state,
 * validates every command, and pushes each client a SessionState rendered for it alone.
 */
export class SessionServer {
  readonly io: IoServer;
  private readonly savedTimers = new Map<string, NodeJS.Timeout>();
  private readonly docsForNotice = new Map<string, Y.Doc>();

  constructor(
    httpServer: HttpServer,
    private readonly store: BoardStore,
    private readonly directory: BoardDirectory,
    private readonly log: Logger,
  ) {
    this.io = new Server(httpServer, {
      maxHttpBufferSize: LIMITS.MAX_SOCKET_MESSAGE_BYTES,
      // Other upgrade paths (/yjs) are ours; engine.io must not destroy them.
      destroyUpgrade: false,
      serveClient: false,
    });
    this.io.on('connection', (socket) => this.onConnection(socket));
  }

  private onConnection(socket: IoSocket): void {
    socket.data = { boardId: null, role: null, participantId: null };
    const limiter = new RateLimiter(LIMITS.RATE_LIMIT_COMMANDS, LIMITS.RATE_LIMIT_WINDOW_MS);
    const guard =
      <P, T>(handler: (payload: P) => Promise<Result<T>>) =>
      (payload: P, ack: unknown) => {
        const reply = typeof ack === 'function' ? (ack as (r: Result<T>) => void) : () => {};
        if (!limiter.take(Date.now())) {
          reply(fail(ERROR_CODES.RATE_LIMITED, 'too many commands; wait a few seconds'));
          return;
        }
        handler(payload).then(reply, (err: unknown) => {
          this.log.error('session command failed', { error: err instanceof Error ? err.stack : String(err) });
          reply(fail(ERROR_CODES.INTERNAL, 'the server could not complete that; nothing was changed'));
        });
      };

    socket.on(
      EVENTS.boardJoin,
      guard((p) => this.join(socket, p)),
    );
    socket.on(
      EVENTS.participantRename,
      guard((p) => this.rename(socket, p)),
    );
    socket.on('disconnect', () => {
      const { boardId } = socket.data;
      if (boardId) void this.broadcastState(boardId);
    });
  }

  private async join(socket: IoSocket, payload: unknown): Promise<Result<JoinResult>> {
    const parsed = joinPayloadSchema.safeParse(payload);
    if (!parsed.success) return fail(ERROR_CODES.BAD_REQUEST, describeZodError(parsed.error));
    const p = parsed.data;
    if (socket.data.boardId)
      return fail(ERROR_CODES.BAD_REQUEST, 'this connection has already joined a board');

    if (p.as === 'viewer') {
      const board = await this.directory.getBoardByViewerKey(p.viewerKey);
      if (!board) return fail(ERROR_CODES.NOT_FOUND, 'no board has this viewer link');
      socket.data = { boardId: board.id, role: 'viewer', participantId: null };
      await socket.join(roomOf(board.id));
      void this.broadcastState(board.id);
      return ok({ state: await this.renderState(socket, p.viewerKey) });
    }

    const board = await this.directory.getBoard(p.boardId);
    if (!board) return fail(ERROR_CODES.NOT_FOUND, 'no board has this link');
    const isFacilitator = p.facilitatorKey !== undefined;
    if (isFacilitator && !secretMatches(p.facilitatorKey, board.facilitatorKeyHash)) {
      return fail(ERROR_CODES.BAD_TOKEN, 'the facilitator key is not valid for this board');
    }

    let participant: ParticipantRow | null = null;
    let credentials: JoinResult['credentials'];
    if (p.participantId !== undefined || p.token !== undefined) {
      participant = p.participantId ? await this.store.getParticipant(board.id, p.participantId) : null;
      if (!participant || !secretMatches(p.token, participant.tokenHash)) {
        return fail(ERROR_CODES.BAD_TOKEN, 'this browser’s participant token is not valid for this board');
      }
      if (participant.name !== p.name) {
        await this.store.renameParticipant(board.id, participant.id, p.name);
        participant = { ...participant, name: p.name };
      }
    } else {
      const existing = await this.store.listParticipants(board.id);
      if (existing.length >= LIMITS.MAX_PARTICIPANTS_PER_BOARD) {
        return fail(
          ERROR_CODES.BOARD_FULL,
          `a board takes at most ${LIMITS.MAX_PARTICIPANTS_PER_BOARD} participants`,
        );
      }
      const token = newSecret();
      participant = {
        id: newSecret(),
        boardId: board.id,
        name: p.name,
        tokenHash: hashSecret(token),
        createdAt: new Date().toISOString(),
      };
      await this.store.addParticipant(participant);
      credentials = { participantId: participant.id, token };
    }

    socket.data = {
      boardId: board.id,
      role: isFacilitator ? 'facilitator' : 'participant',
      participantId: participant.id,
    };
    await socket.join(roomOf(board.id));
    this.log.info('joined', { board: boardTag(board.id), role: socket.data.role });
    void this.broadcastState(board.id, socket.id);
    return ok({ state: await this.renderState(socket, board.id), ...(credentials ? { credentials } : {}) });
  }

  private async rename(socket: IoSocket, payload: unknown): Promise<Result<SessionState>> {
    const { boardId, participantId } = socket.data;
    if (!boardId || !participantId)
      return fail(ERROR_CODES.NOT_JOINED, 'join a board as a participant first');
    const parsed = renamePayloadSchema.safeParse(payload);
    if (!parsed.success) return fail(ERROR_CODES.BAD_REQUEST, describeZodError(parsed.error));
    await this.store.renameParticipant(boardId, participantId, parsed.data.name);
    void this.broadcastState(boardId, socket.id);
    return ok(await this.renderState(socket, boardId));
  }

  /** Sends every client on the board its own rendering of the session state. */
  async broadcastState(boardId: string, exceptSocketId?: string): Promise<void> {
    const sockets = await this.io.in(roomOf(boardId)).fetchSockets();
    const roster = await this.roster(boardId, sockets);
    for (const s of sockets) {
      if (s.id === exceptSocketId) continue;
      s.emit(EVENTS.sessionState, this.stateFor(s.data, roster, s.data.role === 'viewer' ? null : boardId));
    }
  }

  private async renderState(socket: IoSocket, docRoom: string): Promise<SessionState> {
    const boardId = socket.data.boardId!;
    const sockets = await this.io.in(roomOf(boardId)).fetchSockets();
    const roster = await this.roster(boardId, sockets);
    return this.stateFor(socket.data, roster, socket.data.role === 'viewer' ? null : boardId, docRoom);
  }

  private async roster(
    boardId: string,
    sockets: { data: SocketData }[],
  ): Promise<{ entries: RosterEntry[]; viewers: number }> {
    const participants = await this.store.listParticipants(boardId);
    const online = new Map<string, SocketData['role']>();
    let viewers = 0;
    for (const s of sockets) {
      if (s.data.role === 'viewer') viewers++;
      else if (s.data.participantId) {
        // A facilitator in any tab makes the person the facilitator.
        if (online.get(s.data.participantId) !== 'facilitator') online.set(s.data.participantId, s.data.role);
      }
    }
    const entries = participants.map((p) => ({
      id: p.id,
      name: p.name,
      role: online.get(p.id) === 'facilitator' ? ('facilitator' as const) : ('participant' as const),
      online: online.has(p.id),
    }));
    return { entries, viewers };
  }

  private stateFor(
    data: SocketData,
    roster: { entries: RosterEntry[]; viewers: number },
    boardId: string | null,
    docRoom?: string,
  ): SessionState {
    const me = roster.entries.find((e) => e.id === data.participantId);
    return {
      protocolVersion: PROTOCOL_VERSION,
      // Viewers never learn the board id: it is the participant link.
      boardId: data.role === 'viewer' ? null : boardId,
      docRoom: docRoom ?? boardId ?? '',
      role: data.role ?? 'viewer',
      you: me ? { participantId: me.id, name: me.name } : null,
      roster: roster.entries,
      viewersOnline: roster.viewers,
    };
  }

  /** Called by the document endpoint after it committed updates to a board. */
  noticeCommitted(boardId: string, doc: Y.Doc): void {
    this.docsForNotice.set(boardId, doc);
    if (this.savedTimers.has(boardId)) return;
    const timer = setTimeout(() => {
      this.savedTimers.delete(boardId);
      const current = this.docsForNotice.get(boardId);
      this.docsForNotice.delete(boardId);
      if (!current) return;
      const stateVector: Record<string, number> = {};
      for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(current))) {
        stateVector[String(client)] = clock;
      }
      this.io.to(roomOf(boardId)).emit(EVENTS.docSaved, { stateVector });
    }, SAVED_NOTICE_DELAY_MS);
    this.savedTimers.set(boardId, timer);
  }

  async close(): Promise<void> {
    for (const t of this.savedTimers.values()) clearTimeout(t);
    this.savedTimers.clear();
    await new Promise<void>((resolve) => {
      this.io.close(() => resolve());
    });
  }
}

/** Fixed-window command limiter for one socket. */
export class RateLimiter {
  private windowStart = 0;
  private count = 0;
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}
  take(now: number): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count++;
    return this.count <= this.max;
  }
}
