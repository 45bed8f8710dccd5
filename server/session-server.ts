import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import { LIMITS } from '@/lib/limits';
import { SESSION_PING_INTERVAL_MS, SESSION_PING_TIMEOUT_MS } from '@/lib/presence';
import {
  type BoardSettingsView,
  type ClientToServerEvents,
  ERROR_CODES,
  EVENTS,
  fail,
  type InterServerEvents,
  type JoinPayload,
  type JoinResult,
  joinPayloadSchema,
  ok,
  PROTOCOL_VERSION,
  type Result,
  type RosterEntry,
  type RoundView,
  type ServerToClientEvents,
  type SessionChangedNotice,
  type SessionState,
  type SocketData,
} from '@/lib/protocol';
import { diffSessionState, packPatch, type SessionPatch } from '@/lib/session-patch';
import type { BoardDirectory } from './board-directory';
import type { DocPolicy } from './board-room';
import { BoardSession, type BoardShape, CommandError, ensure, parse, shapeOfDoc } from './board-session';
import type { SharedTokenBuckets } from './cluster/shared-rate-limit';
import { fireAndForget } from './fire-and-forget';
import { boardTag, type Logger } from './logger';
import { KeyedRateLimiter, type RateLimit, type Take, TokenBucket } from './rate-limit';
import { hashSecret, newSecret, secretMatches } from './secrets';
import { type CommandContext, SessionCommands } from './session-commands';
import type { BoardStore, ParticipantRow } from './storage/types';
import type { YjsServer } from './yjs-server';

type IoServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type IoSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Coalesces "saved" notices so a burst of edits costs one message per board. */
export const SAVED_NOTICE_DELAY_MS = 25;
/**
 * Coalesces session broadcasts: changes within this window reach the board's other clients
 * as one patch each. A command's own client gets its patch right away, before its ack.
 */
export const BROADCAST_DELAY_MS = 25;
/**
 * A board's broadcast waits this much longer per connection on it, up to
 * MAX_BROADCAST_DELAY_MS: a broadcast costs a write per connection (on loopback, most of the
 * server's CPU per ballot at 100 people), so a crowded board's ballots are sent in fewer,
 * fuller patches (100 people: every 400 ms, about 8 writes per ballot at 30 ballots/s), and one
 * ballot does not cost a hundred writes. What each person sees of others' progress lags by
 * that much; their own ballot, and what the facilitator does (a round starts, the reveal),
 * are not delayed.
 */
export const BROADCAST_DELAY_PER_SOCKET_MS = 4;
export const MAX_BROADCAST_DELAY_MS = 500;
/** Board sessions kept in memory; beyond this the least recently used idle ones are dropped. */
export const MAX_CACHED_SESSIONS = 1000;
/**
 * Several processes (REDIS_URL): how long asking the other processes who is connected to a
 * board may take; a request that waited on a process that died fails after this and is retried.
 */
export const PRESENCE_FETCH_TIMEOUT_MS = 8000;
/** A failed presence request is retried this often, then given up until the next change. */
export const PRESENCE_RETRIES = 3;
/**
 * How often the number of live processes is checked (a process that died takes its people
 * along). The Redis Streams adapter counts the processes subscribed to its channel, so a killed
 * process is gone from the count as soon as Redis sees its connection close.
 */
export const PEER_CHECK_INTERVAL_MS = 2000;
/**
 * After a Redis outage, how many times (every PEER_CHECK_INTERVAL_MS / 8) a process checks that
 * the processes it knew listen again before it re-sends the notices it could not send.
 */
export const PEER_RETURN_CHECKS = 40;

export interface SessionServerOptions {
  /** PUBLIC_URL: the base of the viewer link in a record frozen at finalizing. */
  publicUrl?: string | null;
  /** The client address a socket's limits are keyed by (honours a trusted proxy). */
  clientAddress?: (req: IncomingMessage) => string;
  /** Decides whether a connection's Origin may open the session channel. */
  allowRequest?: ServerOptions['allowRequest'];
  /**
   * The adapter between processes (Redis Streams when REDIS_URL is set); default: in memory,
   * this process alone. With one, commands tell the other processes what changed, and presence
   * is asked of every process.
   */
  adapter?: ServerOptions['adapter'];
  /**
   * With the adapter: whether its Redis is reachable now, and a hook for when it is back after
   * an outage. While it is away no notice is sent (none could be, and none waits in a queue);
   * the boards whose notices were dropped are announced again, and every board with connections
   * here is caught up from the store, when it is back.
   */
  fanOut?: { isUp(): boolean; onReturn(fn: () => void): void };
  /**
   * Per-address limits instead of LIMITS' (the bench lifts them: its thousand people share one
   * address). Per connection, participant and board limits are not configurable.
   */
  addressLimits?: { commands?: RateLimit; newParticipants?: RateLimit };
  /**
   * Several processes (REDIS_URL): the per-participant and per-board command buckets are
   * shared by every process through Redis (SPEC S9); when Redis cannot decide, this process's
   * own buckets do. Without it, this process's buckets alone.
   */
  sharedLimits?: SharedTokenBuckets;
}

const perSecond = (capacity: number, refillPerSecond: number): RateLimit => ({ capacity, refillPerSecond });
const CONNECTION_LIMIT = perSecond(
  LIMITS.COMMAND_BURST_PER_CONNECTION,
  LIMITS.COMMANDS_PER_SECOND_PER_CONNECTION,
);
const PARTICIPANT_LIMIT = perSecond(
  LIMITS.COMMAND_BURST_PER_PARTICIPANT,
  LIMITS.COMMANDS_PER_SECOND_PER_PARTICIPANT,
);
const BOARD_LIMIT = perSecond(LIMITS.COMMAND_BURST_PER_BOARD, LIMITS.COMMANDS_PER_SECOND_PER_BOARD);

/** `Host` as sent when the socket connected, if it looks like a host (for links only). */
function handshakeBaseUrl(socket: IoSocket): string | null {
  const host = socket.handshake.headers.host;
  return typeof host === 'string' &&
    /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/.test(host)
    ? `http://${host}`
    : null;
}

/** Where a connection stands with `board:join`: its board and role are set once. */
interface JoinPhase {
  phase: 'free' | 'joining' | 'joined';
}

const roomOf = (boardId: string) => `board:${boardId}`;
const shapeKey = (shape: BoardShape) => `${shape.criterionIds.join(',')}|${shape.optionIds.join(',')}`;

/**
 * The session channel: who is on a board and in which role, rounds and ballots, locking
 * and finalizing. The server owns this state, validates every command, commits it before
 * acknowledging, and pushes each client a SessionState rendered for it alone.
 */
export class SessionServer {
  readonly io: IoServer;
  private yjs!: YjsServer;
  private commands!: SessionCommands;
  private readonly sessions = new Map<string, Promise<BoardSession>>();
  private readonly savedTimers = new Map<string, NodeJS.Timeout>();
  /** Committed clocks not yet reported in a `doc:saved`, per board. */
  private readonly savedClocks = new Map<string, Map<number, number>>();
  /** Boards whose `doc:saved` goes out at the end of this turn (see noticeCommitted). */
  private readonly savedSoon = new Set<string>();
  /** When each board's last `doc:saved` was sent (performance.now()). */
  private readonly lastSavedAt = new Map<string, number>();
  /** The cells each board was last rendered with, to notice criteria/option changes. */
  private readonly lastShape = new Map<string, string>();
  /** Boards with commits since the last save notice that may have changed criteria or options. */
  private readonly shapeMayHaveChanged = new Set<string>();
  /** Serializes the commands of one board so read-check-write sequences do not interleave. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Sessions whose load finished: what `docPolicy` reads without waiting. */
  private readonly loaded = new Map<string, BoardSession>();
  /** The document policy of each loaded session (see `docPolicy`). */
  private readonly policies = new WeakMap<BoardSession, DocPolicy>();
  private secret: Promise<Uint8Array> | null = null;
  /** Per joined connection: the state it has (join state plus every patch sent since). */
  private readonly sent = new Map<string, SessionState>();
  /** Boards with a coalesced broadcast pending. */
  private readonly broadcastTimers = new Map<string, { timer: NodeJS.Timeout; dueAt: number }>();
  /** The store's session version each loaded session was read at (see BoardStore.sessionVersion). */
  private readonly versions = new Map<string, number>();
  /** Other processes share the store and the board rooms (the adapter is not in-memory). */
  private readonly clustered: boolean;
  /** Per board: the SocketData of its connections on other processes, as last asked. */
  private readonly remotePresence = new Map<string, SocketData[]>();
  /** Per board: a presence request in flight, and whether another is due after it. */
  private readonly presenceRequests = new Map<string, { again: boolean }>();
  /** Per board: the latest notice from another process not yet caught up with. */
  private readonly remoteNotices = new Map<string, SessionChangedNotice>();
  /**
   * Boards whose change notice could not be sent while Redis was away (bounded), and whether
   * any of those notices changed the timer or the summon.
   */
  private readonly unannounced = new Map<string, boolean>();
  private peerTimer: NodeJS.Timeout | null = null;
  private peerCount = 1;
  private closing = false;

  // Rate limits beyond one connection's (each connection has its own bucket). With shared
  // limits (REDIS_URL), the participant and board buckets here decide only while Redis cannot.
  private readonly addressLimit: KeyedRateLimiter;
  private readonly participantLimit = new KeyedRateLimiter(PARTICIPANT_LIMIT);
  private readonly boardLimit = new KeyedRateLimiter(BOARD_LIMIT);
  private readonly newParticipantLimit: KeyedRateLimiter;

  constructor(
    httpServer: HttpServer,
    private readonly store: BoardStore,
    private readonly directory: BoardDirectory,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
    private readonly options: SessionServerOptions = {},
  ) {
    this.addressLimit = new KeyedRateLimiter(
      options.addressLimits?.commands ??
        perSecond(LIMITS.COMMAND_BURST_PER_ADDRESS, LIMITS.COMMANDS_PER_SECOND_PER_ADDRESS),
    );
    this.newParticipantLimit = new KeyedRateLimiter(
      options.addressLimits?.newParticipants ??
        perSecond(
          LIMITS.NEW_PARTICIPANT_BURST_PER_ADDRESS,
          LIMITS.NEW_PARTICIPANTS_PER_MINUTE_PER_ADDRESS / 60,
        ),
    );
    this.io = new Server(httpServer, {
      maxHttpBufferSize: LIMITS.MAX_SOCKET_MESSAGE_BYTES,
      // Other upgrade paths (/yjs) are ours; engine.io must not destroy them.
      destroyUpgrade: false,
      serveClient: false,
      // Short heartbeats: a vanished phone shows as away within AWAY_WITHIN_MS (lib/presence.ts).
      pingInterval: SESSION_PING_INTERVAL_MS,
      pingTimeout: SESSION_PING_TIMEOUT_MS,
      ...(options.allowRequest ? { allowRequest: options.allowRequest } : {}),
      ...(options.adapter ? { adapter: options.adapter } : {}),
    });
    this.io.on('connection', (socket) => this.onConnection(socket));
    this.clustered = options.adapter !== undefined;
    if (this.clustered) {
      this.io.on('session:changed', (notice) => this.onRemoteSessionChange(notice));
      this.io.on('presence:changed', (boardId) => {
        if (typeof boardId === 'string' && this.localCount(boardId) > 0) this.refreshPresence(boardId);
      });
      this.peerTimer = setInterval(() => this.checkPeers(), PEER_CHECK_INTERVAL_MS);
      this.peerTimer.unref();
      options.fanOut?.onReturn(() => this.fanOutReturned());
    }
  }

  attachDocuments(yjs: YjsServer): void {
    this.yjs = yjs;
    this.commands = new SessionCommands({
      store: this.store,
      yjs,
      now: this.now,
      shape: (boardId, options) => this.shape(boardId, options),
      setWritable: (boardId, writable) => this.writable.set(boardId, writable),
      disconnectParticipant: (boardId, participantId) => this.disconnectParticipant(boardId, participantId),
    });
  }

  private async disconnectParticipant(boardId: string, participantId: string): Promise<void> {
    // Their document connections too: removal takes away writing, not just the session.
    this.yjs.closeParticipant(boardId, participantId);
    for (const s of this.socketsOf(boardId)) {
      if (s.data.participantId === participantId) {
        s.emit(EVENTS.sessionError, {
          code: ERROR_CODES.REMOVED,
          message: 'the facilitator removed you from this board',
        });
        s.disconnect(true);
      }
    }
  }

  // ---- board sessions ---------------------------------------------------------------------

  session(boardId: string): Promise<BoardSession> {
    let s = this.sessions.get(boardId);
    if (!s) {
      s = this.readSession(boardId).then(({ session, version }) => {
        if (this.sessions.get(boardId) === loading) this.versions.set(boardId, version);
        return session;
      });
      const loading = s;
      s.then(
        (session) => {
          // Only if this load is still the board's (the cache may have dropped it meanwhile).
          if (this.sessions.get(boardId) !== loading) return;
          this.loaded.set(boardId, session);
          if (!this.writable.has(boardId)) this.writable.set(boardId, session.settings.status === 'open');
        },
        () => {
          if (this.sessions.get(boardId) === loading) this.sessions.delete(boardId);
        },
      );
      this.sessions.set(boardId, s);
      this.trimCache();
    }
    return s;
  }

  /**
   * A board's session as stored, and the session version it was read at. The version is read
   * first: a write landing meanwhile makes the next check see a newer version and reload.
   */
  private async readSession(boardId: string): Promise<{ session: BoardSession; version: number }> {
    const version = await this.store.sessionVersion(boardId);
    const [board, settings, participants, rounds, scores, secret] = await Promise.all([
      this.store.getBoard(boardId),
      this.store.getSettings(boardId),
      this.store.listParticipants(boardId),
      this.store.listRounds(boardId),
      this.store.listScores(boardId),
      this.serverSecret(),
    ]);
    if (!board) throw new CommandError(ERROR_CODES.NOT_FOUND, 'no such board');
    const session = new BoardSession(
      boardId,
      settings,
      participants,
      rounds,
      scores,
      board.viewerKey,
      secret,
    );
    return { session, version };
  }

  /**
   * Makes the board's in-memory session current: reloads it when another process changed the
   * board since it was read (its session version moved). Called with the board lock held, so
   * nothing changes the board meanwhile. Keeps what lives in memory only (timer, summon), and
   * closes the connections here of anyone another process removed.
   */
  private async refreshSession(boardId: string): Promise<BoardSession> {
    const current = await this.session(boardId);
    const stored = await this.store.sessionVersion(boardId);
    const known = this.versions.get(boardId);
    if (known === stored && this.loaded.get(boardId) === current) return current;
    // Behind: read only what changed since (the scores set or deleted meanwhile; a board's
    // 2,400 scores are not read again for each command another process ran).
    if (known !== undefined && known < stored && this.loaded.get(boardId) === current) {
      const changes = await this.store.sessionChangesSince(boardId, known);
      // Re-checked after the await: the cache may have dropped or replaced the session.
      if (changes && this.loaded.get(boardId) === current && this.versions.get(boardId) === known) {
        const removedBefore = new Set(current.participants.filter((p) => p.removed).map((p) => p.id));
        current.catchUp(changes);
        this.versions.set(boardId, changes.version);
        this.writable.set(boardId, current.settings.status === 'open');
        for (const p of current.participants) {
          if (p.removed && !removedBefore.has(p.id)) await this.disconnectParticipant(boardId, p.id);
        }
        return current;
      }
    }
    const { session, version } = await this.readSession(boardId);
    session.timer = current.timer;
    session.summon = current.summon;
    this.sessions.set(boardId, Promise.resolve(session));
    this.loaded.set(boardId, session);
    this.versions.set(boardId, version);
    this.writable.set(boardId, session.settings.status === 'open');
    for (const p of session.participants) {
      if (p.removed && !current.participant(p.id)?.removed) await this.disconnectParticipant(boardId, p.id);
    }
    return session;
  }

  /**
   * Runs a task that may change the board's session, in the board's queue and under the
   * board lock (all processes), on a current session; then tells the other processes.
   */
  private inBoardLock<T>(boardId: string, task: () => Promise<T>): Promise<T> {
    return this.inQueue(boardId, async () => {
      // Unless shown otherwise, assume the task changed something the others must hear of,
      // in the store and in memory (the timer, the summon).
      let changed = true;
      let memoryChanged = true;
      try {
        return await this.store.withBoardLock(boardId, async () => {
          const before = await this.refreshSession(boardId);
          const [version, timer, summon] = [this.versions.get(boardId), before.timer, before.summon];
          try {
            const result = await task();
            const after = await this.store.sessionVersion(boardId);
            this.versions.set(boardId, after);
            const now = this.loaded.get(boardId);
            // Nothing stored and nothing in memory changed (a join of someone known, a
            // disconnect): no notice, so refused or idle commands cost the others nothing.
            memoryChanged = now?.timer !== timer || now?.summon !== summon;
            changed = after !== version || memoryChanged;
            return result;
          } catch (err) {
            // A refusal changed nothing; anything else may have left memory and storage apart.
            if (err instanceof CommandError) changed = false;
            else this.versions.delete(boardId);
            throw err;
          }
        });
      } finally {
        if (changed) this.announceSessionChange(boardId, memoryChanged);
      }
    });
  }

  /**
   * Tells the other processes that the board's session may have changed, with the timer and the
   * summon as this process has them. `memoryChanged`: whether the change touched those; a notice
   * sent again after a Redis outage carries them only then (another process may have changed
   * them meanwhile, and this one's would undo that).
   */
  private announceSessionChange(boardId: string, memoryChanged: boolean, again = false): void {
    if (!this.clustered || this.closing) return;
    if (!this.fanOutUp()) {
      // Sent again when Redis is back (the others also catch up from the store then).
      if (this.unannounced.size < MAX_CACHED_SESSIONS || this.unannounced.has(boardId))
        this.unannounced.set(boardId, memoryChanged || (this.unannounced.get(boardId) ?? false));
      return;
    }
    const withMemory = !again || memoryChanged;
    const session = this.loaded.get(boardId);
    const notice: SessionChangedNotice = withMemory
      ? { boardId, timer: session?.timer ?? null, summon: session?.summon ?? null }
      : { boardId };
    this.io.serverSideEmit('session:changed', notice);
  }

  /**
   * Announces again the boards whose notices were dropped, once the processes known before the
   * outage listen again (each resubscribes on its own; a notice before that would be lost too).
   * Waits at most PEER_RETURN_CHECKS checks: a process that died meanwhile never comes back.
   */
  private async announceAgain(): Promise<void> {
    const expected = this.peerCount;
    for (let i = 0; i < PEER_RETURN_CHECKS && !this.closing && this.fanOutUp(); i++) {
      const count = await this.io
        .of('/')
        .adapter.serverCount()
        .catch(() => 0);
      if (count >= expected) break;
      await new Promise((resolve) => setTimeout(resolve, PEER_CHECK_INTERVAL_MS / 8));
    }
    if (!this.fanOutUp()) return;
    const boards = [...this.unannounced];
    this.unannounced.clear();
    for (const [boardId, memoryChanged] of boards) this.announceSessionChange(boardId, memoryChanged, true);
  }

  /** Whether the adapter's Redis is reachable (always, without a fan-out link). */
  private fanOutUp(): boolean {
    return this.options.fanOut?.isUp() ?? true;
  }

  /**
   * Redis is back after an outage: notices sent meanwhile were dropped, not queued. Announce
   * again the boards whose notices were dropped here (with this process's timer and summon),
   * catch up every board with connections here from the store (the others' dropped notices),
   * and ask again who is connected elsewhere.
   */
  private fanOutReturned(): void {
    if (this.closing) return;
    fireAndForget(this.announceAgain(), this.log, 're-announcing after Redis returned');
    for (const boardId of this.sessions.keys()) {
      if (this.localCount(boardId) === 0) continue;
      fireAndForget(
        this.inQueue(boardId, () =>
          this.store.withBoardLock(boardId, () => this.refreshSession(boardId)),
        ).then(() => this.broadcastState(boardId, true)),
        this.log,
        'catching up after Redis returned',
      );
      this.io.serverSideEmit('presence:changed', boardId);
      this.refreshPresence(boardId);
    }
  }

  /**
   * Another process ran a command on a board: catch up (if it is loaded here) and push patches.
   * Coalesced: notices arriving while one catch-up waits are covered by it (it reads the
   * version under the lock when it runs), so a burst of ballots elsewhere costs one reload.
   */
  private onRemoteSessionChange(notice: SessionChangedNotice): void {
    if (!notice || typeof notice.boardId !== 'string') return;
    const { boardId } = notice;
    if (!this.sessions.has(boardId)) return;
    const waiting = this.remoteNotices.get(boardId);
    // A notice without the timer and summon keeps those of one waiting before it.
    this.remoteNotices.set(boardId, notice.timer === undefined && waiting ? { ...waiting, boardId } : notice);
    if (waiting) return;
    fireAndForget(
      this.inQueue(boardId, () =>
        this.store.withBoardLock(boardId, async () => {
          const latest = this.remoteNotices.get(boardId) ?? notice;
          this.remoteNotices.delete(boardId);
          const session = await this.refreshSession(boardId);
          // Absent: the sender did not change them; this process's own stay.
          if (latest.timer !== undefined) session.timer = latest.timer;
          if (latest.summon !== undefined) session.summon = latest.summon;
        }),
      ).then(
        () => this.broadcastState(boardId, true),
        (err: unknown) => {
          // Not caught up (no lock, no database): the next notice tries again, and this
          // process's next command on the board reloads anyway.
          this.remoteNotices.delete(boardId);
          throw err;
        },
      ),
      this.log,
      'session change from another process',
    );
  }

  // ---- presence across processes ----------------------------------------------------------

  private localCount(boardId: string): number {
    return this.io.sockets.adapter.rooms.get(roomOf(boardId))?.size ?? 0;
  }

  /** This process's connections to a board changed: the others ask again who is connected. */
  private announcePresence(boardId: string): void {
    if (!this.clustered || this.closing) return;
    // Without Redis nobody hears it; everyone asks again when it is back (fanOutReturned).
    if (!this.fanOutUp()) {
      if (this.localCount(boardId) === 0) this.remotePresence.delete(boardId);
      return;
    }
    this.io.serverSideEmit('presence:changed', boardId);
    // The first connection here to this board: learn who is connected elsewhere.
    if (!this.remotePresence.has(boardId) && this.localCount(boardId) > 0) this.refreshPresence(boardId);
    if (this.localCount(boardId) === 0) this.remotePresence.delete(boardId);
  }

  /**
   * Asks every process for the board's connections (`fetchSockets` across the adapter), one
   * request per board at a time (a change meanwhile asks once more after it), and re-renders.
   * Only on changes: presence costs nothing while nobody comes or goes.
   */
  private refreshPresence(boardId: string): void {
    const pending = this.presenceRequests.get(boardId);
    if (pending) {
      pending.again = true;
      return;
    }
    const state = { again: true };
    this.presenceRequests.set(boardId, state);
    const run = async () => {
      let failures = 0;
      // Without Redis the others cannot answer: asked again when it is back (fanOutReturned).
      while (state.again && !this.closing && this.fanOutUp()) {
        state.again = false;
        try {
          const [all, peers] = await Promise.all([
            this.io.in(roomOf(boardId)).timeout(PRESENCE_FETCH_TIMEOUT_MS).fetchSockets(),
            this.io.of('/').adapter.serverCount(),
          ]);
          // The processes this answer came from: one fewer later means people left with it.
          this.peerCount = peers;
          const local = this.io.sockets.sockets;
          if (this.localCount(boardId) === 0) this.remotePresence.delete(boardId);
          else
            this.remotePresence.set(
              boardId,
              all.filter((r) => !local.has(r.id)).map((r) => r.data),
            );
          failures = 0;
          this.broadcastState(boardId);
        } catch (err) {
          if (++failures > PRESENCE_RETRIES) throw err;
          state.again = true;
        }
      }
    };
    fireAndForget(
      run().finally(() => this.presenceRequests.delete(boardId)),
      this.log,
      'presence across processes',
    );
  }

  /** A process left (the adapter stopped hearing from it): its people are no longer here. */
  private checkPeers(): void {
    if (!this.fanOutUp()) return;
    fireAndForget(
      (async () => {
        const count = await this.io.of('/').adapter.serverCount();
        const fewer = count < this.peerCount;
        this.peerCount = count;
        if (!fewer) return;
        for (const [boardId, remote] of this.remotePresence)
          if (remote.length > 0) this.refreshPresence(boardId);
      })(),
      this.log,
      'peer check',
    );
  }

  private serverSecret(): Promise<Uint8Array> {
    if (!this.secret) {
      this.secret = this.store.serverSecret();
      this.secret.catch(() => {
        this.secret = null;
      });
    }
    return this.secret;
  }

  private trimCache(): void {
    if (this.sessions.size <= MAX_CACHED_SESSIONS) return;
    for (const id of this.sessions.keys()) {
      if (this.sessions.size <= MAX_CACHED_SESSIONS) break;
      const busy =
        (this.io.sockets.adapter.rooms.get(roomOf(id))?.size ?? 0) > 0 ||
        this.yjs?.loadedRoom(id) ||
        this.queues.has(id);
      if (!busy) {
        this.sessions.delete(id);
        this.loaded.delete(id);
        this.idleShapes.delete(id);
        this.writable.delete(id);
        this.versions.delete(id);
        this.lastSavedAt.delete(id);
      }
    }
  }

  /**
   * Whether the board accepts document edits: false while locked, finalized or being
   * finalized. Set when the session loads and by every status command, before it commits.
   */
  private readonly writable = new Map<string, boolean>();
  async prepareBoard(boardId: string): Promise<void> {
    await this.session(boardId);
  }
  isWritable(boardId: string): boolean {
    return this.writable.get(boardId) ?? false;
  }

  /**
   * The document policy of a loaded board, synchronously (null until `prepareBoard` or any
   * session use has loaded it). Read from the live session state, so it is current as soon as
   * a command has changed it — before that command is acknowledged or broadcast.
   */
  docPolicy(boardId: string): DocPolicy | null {
    const session = this.loaded.get(boardId);
    if (!session) return null;
    // Read on every document update: one object per loaded session, whose fields read the
    // live state when asked (nothing is copied, so nothing can be stale).
    let policy = this.policies.get(session);
    if (!policy) {
      policy = this.livePolicy(boardId, session);
      this.policies.set(session, policy);
    }
    return policy;
  }

  private livePolicy(boardId: string, session: BoardSession): DocPolicy {
    const server = this;
    return {
      get writable() {
        return server.isWritable(boardId);
      },
      get roundOpen() {
        return session.openRound !== null;
      },
      get structureEditors() {
        return session.settings.structureEditors;
      },
      isFacilitator: (participantId) => this.hasFacilitatorSocket(boardId, participantId),
      nameOf: (participantId) => session.participant(participantId)?.name,
    };
  }

  private hasFacilitatorSocket(boardId: string, participantId: string): boolean {
    for (const data of this.presentData(boardId)) {
      if (data.participantId === participantId && data.role === 'facilitator') return true;
    }
    return false;
  }

  /** The SocketData of the board's connections: this process's, then the others' as last asked. */
  private *presentData(boardId: string): Generator<SocketData> {
    for (const s of this.socketsOf(boardId)) yield s.data;
    yield* this.remotePresence.get(boardId) ?? [];
  }

  /**
   * The shape each board had when last read while its document was not loaded. Rendering
   * reads the shape on every command; with nobody on the document (people scoring from the
   * session channel only) each read would otherwise load and decode the whole document. A
   * document changes only through commits, and every commit drops the entry (noticeCommitted).
   */
  private readonly idleShapes = new Map<string, BoardShape>();
  private async shape(boardId: string, options: { current?: boolean } = {}): Promise<BoardShape> {
    if (!options.current) {
      const room = this.yjs.loadedRoom(boardId);
      if (room?.loaded && !room.destroyed && !room.isFailed) return shapeOfDoc(room.doc);
      const idle = this.idleShapes.get(boardId);
      if (idle) return idle;
    }
    const shape = await this.yjs.withDoc(boardId, (r) => shapeOfDoc(r.doc), options);
    this.idleShapes.set(boardId, shape);
    return shape;
  }

  private inQueue<T>(boardId: string, task: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(boardId) ?? Promise.resolve();
    const next = prev.then(task, task);
    const settled = next.catch(() => {});
    this.queues.set(boardId, settled);
    // `settled` never rejects: forgetting the queue's tail cannot fail.
    settled.then(
      () => {
        if (this.queues.get(boardId) === settled) this.queues.delete(boardId);
      },
      () => {},
    );
    return next;
  }

  private nowMs(): number {
    return this.now().getTime();
  }

  // ---- connections ----------------------------------------------------------------------

  private onConnection(socket: IoSocket): void {
    socket.data = { boardId: null, role: null, participantId: null };
    const address = this.options.clientAddress?.(socket.request) ?? socket.handshake.address;
    const connectionLimit = new TokenBucket(CONNECTION_LIMIT, this.nowMs());
    const joining: JoinPhase = { phase: 'free' };
    /** Settles once this connection's latest command has entered its board's queue (shared limits). */
    let entered: Promise<void> = Promise.resolve();
    const handle =
      <T>(handler: (payload: unknown) => Promise<Result<T>>, afterReply?: (r: Result<T>) => void) =>
      (payload: unknown, ack: unknown) => {
        const send = typeof ack === 'function' ? (ack as (r: Result<T>) => void) : () => {};
        const reply = (r: Result<T>) => {
          send(r);
          afterReply?.(r);
        };
        // Every command counts, joins and refused ones included, per connection and per address.
        const now = this.nowMs();
        const limited =
          refusal(connectionLimit.take(now), 'this connection') ??
          refusal(this.addressLimit.take(address, now), 'your network address');
        if (limited) {
          reply(limited);
          return;
        }
        handler(payload).then(reply, (err: unknown) => {
          if (err instanceof CommandError) {
            reply(fail(err.code, err.message));
            return;
          }
          this.log.error('session command failed', { error: err instanceof Error ? err.stack : String(err) });
          reply(fail(ERROR_CODES.INTERNAL, 'the server could not complete that; nothing was changed'));
        });
      };
    /** A command on the joined board: serialized per board, answered with the new state. */
    const command =
      (
        run: (ctx: CommandContext, payload: unknown) => Promise<void>,
        access: 'participant' | 'facilitator',
      ) =>
      (payload: unknown) => {
        // Fixed at join, never changed after: the board and role this connection acts as.
        const { boardId, role, participantId } = socket.data;
        if (!boardId || !role) return Promise.resolve(fail(ERROR_CODES.NOT_JOINED, 'join a board first'));
        if (role === 'viewer' || !participantId)
          return Promise.resolve(fail(ERROR_CODES.READ_ONLY, 'viewers cannot change the board'));
        if (access === 'facilitator' && role !== 'facilitator') {
          return Promise.resolve(fail(ERROR_CODES.NOT_FACILITATOR, 'only the facilitator can do that'));
        }
        const baseUrl = this.options.publicUrl ?? handshakeBaseUrl(socket);
        // Everything the command reads is re-read in the board lock (the session, whether
        // `me` was removed meanwhile); the board and role are fixed at join.
        const runLocked = () =>
          this.inBoardLock(boardId, async () => {
            const session = await this.session(boardId);
            const me = session.participant(participantId);
            ensure(me && !me.removed, ERROR_CODES.REMOVED, 'you were removed from this board');
            await run({ session, boardId, me, baseUrl }, payload);
            this.broadcastState(boardId, access === 'facilitator');
            await this.maybeAutoReveal(boardId);
            // Its own changes first, then the ack: the client sees them when told "done".
            await this.sendPatch(socket);
            return ok(null);
          });
        // A person across all their tabs, and a whole board, are limited too: many sockets
        // must not add up to more than one person's or one board's share of the server.
        const shared = this.options.sharedLimits;
        if (!shared) {
          const limited = this.takeLocalCommandTokens(boardId, participantId);
          return limited ? Promise.resolve(limited) : runLocked();
        }
        // Across processes the tokens come from Redis, an await. The commands of one
        // connection still enter the board's queue in the order they were sent (a ballot and
        // its correction), whatever order their token requests settle in: each waits for the
        // previous one to have entered. A refused command enters nothing and changes nothing.
        const tokens = this.takeSharedCommandTokens(shared, boardId, participantId);
        const turn = entered.then(async (): Promise<{ reply: Promise<Result<null>> }> => {
          const limited = await tokens;
          // Wrapped: `turn` settles once the command is queued, not once it has run.
          return { reply: limited ? Promise.resolve(limited) : runLocked() };
        });
        entered = turn.then(
          () => {},
          () => {},
        );
        return turn.then((t) => t.reply);
      };

    socket.on(
      EVENTS.boardJoin,
      handle(
        (p) => this.join(socket, joining, address, p),
        (r) => {
          // Patches are relative to the join state: only once it is on its way (its ack
          // written) may the first patch follow. A broadcast that ran between rendering it and
          // now skipped this connection; the next one sends what changed meanwhile.
          if (!r.ok || !socket.connected || !socket.data.boardId) return;
          this.sent.set(socket.id, r.data.state);
          this.broadcastState(socket.data.boardId);
        },
      ),
    );
    socket.on(EVENTS.participantRename, handle(command((c, p) => this.commands.rename(c, p), 'participant')));
    socket.on(
      EVENTS.participantSpectate,
      handle(command((c, p) => this.commands.spectate(c, p), 'participant')),
    );
    socket.on(EVENTS.ballotCast, handle(command((c, p) => this.commands.castBallot(c, p), 'participant')));
    socket.on(EVENTS.ballotKeep, handle(command((c, p) => this.commands.keepCarried(c, p), 'participant')));
    socket.on(EVENTS.evidenceAdd, handle(command((c, p) => this.commands.addEvidence(c, p), 'participant')));
    socket.on(EVENTS.roundStart, handle(command((c, p) => this.commands.startRound(c, p), 'facilitator')));
    socket.on(EVENTS.roundReveal, handle(command((c, p) => this.commands.revealRound(c, p), 'facilitator')));
    socket.on(EVENTS.boardSetScale, handle(command((c, p) => this.commands.setScale(c, p), 'facilitator')));
    socket.on(
      EVENTS.boardSetAutoReveal,
      handle(command((c, p) => this.commands.setToggle(c, p, 'autoReveal'), 'facilitator')),
    );
    socket.on(
      EVENTS.boardSetAnonymous,
      handle(command((c, p) => this.commands.setToggle(c, p, 'anonymous'), 'facilitator')),
    );
    socket.on(
      EVENTS.boardSetJoining,
      handle(command((c, p) => this.commands.setJoining(c, p), 'facilitator')),
    );
    socket.on(
      EVENTS.boardSetStructureEditors,
      handle(command((c, p) => this.commands.setStructureEditors(c, p), 'facilitator')),
    );
    socket.on(EVENTS.boardLock, handle(command((c) => this.commands.lock(c), 'facilitator')));
    socket.on(EVENTS.boardUnlock, handle(command((c) => this.commands.unlock(c), 'facilitator')));
    socket.on(EVENTS.boardFinalize, handle(command((c) => this.commands.finalize(c), 'facilitator')));
    socket.on(
      EVENTS.participantRemove,
      handle(command((c, p) => this.commands.removeParticipant(c, p), 'facilitator')),
    );
    socket.on(
      EVENTS.criterionRestore,
      handle(command((c, p) => this.commands.restoreCriterion(c, p), 'facilitator')),
    );
    socket.on(EVENTS.timerStart, handle(command((c, p) => this.commands.startTimer(c, p), 'facilitator')));
    socket.on(EVENTS.timerStop, handle(command((c) => this.commands.stopTimer(c), 'facilitator')));
    socket.on(EVENTS.boardSummon, handle(command((c, p) => this.commands.summon(c, p), 'facilitator')));
    socket.on('disconnect', () => {
      this.sent.delete(socket.id);
      const { boardId } = socket.data;
      if (!boardId) return;
      this.announcePresence(boardId);
      fireAndForget(
        this.inBoardLock(boardId, async () => {
          this.broadcastState(boardId);
          await this.maybeAutoReveal(boardId);
        }),
        this.log,
        'after disconnect',
      );
    });
  }

  /** This process's own participant and board buckets: a refusal, or null when both allowed. */
  private takeLocalCommandTokens(boardId: string, participantId: string): Result<never> | null {
    const now = this.nowMs();
    return (
      refusal(this.participantLimit.take(participantId, now), 'you') ??
      refusal(this.boardLimit.take(boardId, now), 'this board')
    );
  }

  /**
   * The participant's and the board's buckets shared by every process (SPEC S9), both or
   * neither taken. When Redis cannot decide in time, this process's own buckets do: a Redis
   * outage relaxes the limit to one process's, and never refuses or holds every command.
   */
  private async takeSharedCommandTokens(
    shared: SharedTokenBuckets,
    boardId: string,
    participantId: string,
  ): Promise<Result<never> | null> {
    const take = await shared
      .take([
        { key: shared.key(boardId, participantId), limit: PARTICIPANT_LIMIT },
        { key: shared.key(boardId), limit: BOARD_LIMIT },
      ])
      .catch(() => null);
    if (!take) return this.takeLocalCommandTokens(boardId, participantId);
    return take.ok ? null : refusal(take, take.refusedBy === 0 ? 'you' : 'this board');
  }

  /**
   * `board:join`. A connection joins once: it is marked as joining synchronously, before any
   * await, so a second join sent in the same tick is refused instead of racing the first (two
   * joins both passing an "already joined?" check let a viewer's socket be rendered as a
   * participant of the viewed board, board id included). A failed join frees it again.
   */
  private async join(
    socket: IoSocket,
    joining: JoinPhase,
    address: string,
    payload: unknown,
  ): Promise<Result<JoinResult>> {
    if (joining.phase !== 'free') {
      return fail(
        ERROR_CODES.BAD_REQUEST,
        joining.phase === 'joined'
          ? 'this connection has already joined a board'
          : 'this connection is already joining a board',
      );
    }
    const p = parse(joinPayloadSchema, payload);
    // An older page would ignore the patches it is sent and show a stale state for good.
    if (p.protocolVersion !== undefined && p.protocolVersion !== PROTOCOL_VERSION) {
      return fail(
        ERROR_CODES.BAD_REQUEST,
        `this page speaks session protocol ${p.protocolVersion}, the server ${PROTOCOL_VERSION}: reload the page`,
      );
    }
    joining.phase = 'joining';
    try {
      return await this.joinAs(socket, joining, address, p);
    } finally {
      if (joining.phase === 'joining') joining.phase = 'free';
    }
  }

  private async joinAs(
    socket: IoSocket,
    joining: JoinPhase,
    address: string,
    p: JoinPayload,
  ): Promise<Result<JoinResult>> {
    const gone = () => fail(ERROR_CODES.BAD_REQUEST, 'the connection closed while joining');
    if (p.as === 'viewer') {
      const board = await this.directory.getBoardByViewerKey(p.viewerKey);
      if (!board) return fail(ERROR_CODES.NOT_FOUND, 'no board has this viewer link');
      if (!socket.connected) return gone();
      socket.data = { boardId: board.id, role: 'viewer', participantId: null };
      joining.phase = 'joined';
      await socket.join(roomOf(board.id));
      this.announcePresence(board.id);
      this.broadcastState(board.id);
      return ok({ state: await this.renderFor(socket) });
    }

    const board = await this.directory.getBoard(p.boardId);
    if (!board) return fail(ERROR_CODES.NOT_FOUND, 'no board has this link');
    const isFacilitator = p.facilitatorKey !== undefined;
    if (isFacilitator && !secretMatches(p.facilitatorKey, board.facilitatorKeyHash)) {
      return fail(ERROR_CODES.BAD_TOKEN, 'the facilitator key is not valid for this board');
    }

    return this.inBoardLock(board.id, async () => {
      const session = await this.session(board.id);
      // Re-checked after every await: nothing is stored for a connection that is gone.
      if (!socket.connected) return gone();
      let participant: ParticipantRow | undefined;
      let credentials: JoinResult['credentials'];
      if (p.participantId !== undefined || p.token !== undefined) {
        participant = p.participantId ? session.participant(p.participantId) : undefined;
        if (!participant || !secretMatches(p.token, participant.tokenHash)) {
          return fail(ERROR_CODES.BAD_TOKEN, 'this browser’s participant token is not valid for this board');
        }
        if (participant.removed)
          return fail(ERROR_CODES.REMOVED, 'the facilitator removed you from this board');
        if (participant.name !== p.name) {
          await this.store.renameParticipant(board.id, participant.id, p.name);
          participant.name = p.name;
        }
      } else {
        // Someone new. The facilitator key gets in even when joining is closed.
        if (session.settings.joinClosed && !isFacilitator) {
          return fail(ERROR_CODES.JOINING_CLOSED, 'the facilitator closed this board to new participants');
        }
        if (session.seatsTaken >= LIMITS.MAX_PARTICIPANTS_PER_BOARD) {
          return fail(
            ERROR_CODES.BOARD_FULL,
            `a board takes at most ${LIMITS.MAX_PARTICIPANTS_PER_BOARD} participants`,
          );
        }
        const limited = refusal(this.newParticipantLimit.take(address, this.nowMs()), 'your network address');
        if (limited) return limited;
        const token = newSecret();
        participant = {
          id: newSecret(),
          boardId: board.id,
          name: p.name,
          tokenHash: hashSecret(token),
          createdAt: this.now().toISOString(),
          spectator: false,
          removed: false,
        };
        await this.store.addParticipant(participant);
        session.participants.push(participant);
        credentials = { participantId: participant.id, token };
      }
      if (!socket.connected) return gone();
      socket.data = {
        boardId: board.id,
        role: isFacilitator ? 'facilitator' : 'participant',
        participantId: participant.id,
      };
      joining.phase = 'joined';
      await socket.join(roomOf(board.id));
      this.announcePresence(board.id);
      this.log.info('joined', { board: boardTag(board.id), role: socket.data.role });
      this.broadcastState(board.id);
      const state = await this.renderFor(socket);
      this.sendSavedNotice(board.id, socket);
      return ok({ state, ...(credentials ? { credentials } : {}) });
    });
  }

  private async maybeAutoReveal(boardId: string): Promise<void> {
    const session = await this.session(boardId);
    if (!session.settings.autoReveal || !session.openRound) return;
    const online = this.onlineParticipants(boardId);
    const shape = await this.shape(boardId);
    if (session.autoRevealDue(new Set(online.keys()), shape)) {
      await this.commands.reveal(session, session.openRound.id);
      this.broadcastState(boardId, true);
    }
  }

  // ---- rendering --------------------------------------------------------------------------

  /** This process's connections joined to a board (no `fetchSockets()` round trip). */
  private *socketsOf(boardId: string): Generator<IoSocket> {
    for (const id of this.io.sockets.adapter.rooms.get(roomOf(boardId)) ?? []) {
      const s = this.io.sockets.sockets.get(id);
      if (s) yield s;
    }
  }

  private onlineParticipants(boardId: string): Map<string, 'facilitator' | 'participant'> {
    const online = new Map<string, 'facilitator' | 'participant'>();
    for (const data of this.presentData(boardId)) {
      const { participantId, role } = data;
      if (!participantId || role === 'viewer' || role === null) continue;
      // A facilitator in any tab makes the person the facilitator.
      if (online.get(participantId) !== 'facilitator') online.set(participantId, role);
    }
    return online;
  }

  /**
   * Schedules sending every client on the board what changed for it. Changes within
   * BROADCAST_DELAY_MS go out together; the send runs in the board's queue, between commands.
   */
  broadcastState(boardId: string, soon = false): void {
    const sockets = this.io.sockets.adapter.rooms.get(roomOf(boardId))?.size ?? 0;
    // What everyone waits for (a round starts, the reveal) goes out without the crowd's delay.
    const delay = soon
      ? BROADCAST_DELAY_MS
      : Math.min(
          MAX_BROADCAST_DELAY_MS,
          Math.max(BROADCAST_DELAY_MS, sockets * BROADCAST_DELAY_PER_SOCKET_MS),
        );
    const dueAt = performance.now() + delay;
    const pending = this.broadcastTimers.get(boardId);
    if (pending && pending.dueAt <= dueAt) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.broadcastTimers.delete(boardId);
      fireAndForget(
        this.inQueue(boardId, () => this.flushState(boardId)),
        this.log,
        'session broadcast',
      );
    }, delay);
    this.broadcastTimers.set(boardId, { timer, dueAt });
  }

  /**
   * Sends every joined client of the board its patch now. The state is rendered per client by
   * `stateFor` (the one place deciding what a client may see), from parts rendered once for the
   * board; clients whose patches are the same (the same changed parts) share one encoded
   * message.
   */
  async flushState(boardId: string): Promise<void> {
    const sockets = [...this.socketsOf(boardId)].filter((s) => this.sent.has(s.id));
    if (sockets.length === 0) return;
    const ctx = await this.renderContext(boardId);
    const groups = new Map<string, { patch: SessionPatch; ids: string[] }>();
    for (const s of sockets) {
      const before = this.sent.get(s.id);
      // Left (or was removed) while the context was rendered.
      if (!before || !s.connected) continue;
      const state = this.stateFor(s.data, ctx);
      const patch = diffSessionState(before, state);
      this.sent.set(s.id, state);
      if (!patch) continue;
      const key = patchKey(patch);
      const group = groups.get(key);
      if (group) group.ids.push(s.id);
      else groups.set(key, { patch, ids: [s.id] });
    }
    // Local: these are this process's connections (with an adapter, `to` would also publish
    // every patch to the other processes, which have none of them).
    for (const { patch, ids } of groups.values())
      this.io.local.to(ids).emit(EVENTS.sessionPatch, packPatch(patch));
  }

  /** Sends one connection what changed for it, now (before its command's acknowledgement). */
  private async sendPatch(socket: IoSocket): Promise<void> {
    const before = this.sent.get(socket.id);
    if (!before || !socket.connected) return;
    const state = this.stateFor(socket.data, await this.renderContext(socket.data.boardId!));
    const patch = diffSessionState(before, state);
    this.sent.set(socket.id, state);
    if (patch) socket.emit(EVENTS.sessionPatch, packPatch(patch));
  }

  /** The whole state for a connection that just joined (its patches are relative to it). */
  private async renderFor(socket: IoSocket): Promise<SessionState> {
    return this.stateFor(socket.data, await this.renderContext(socket.data.boardId!));
  }

  private async renderContext(boardId: string): Promise<RenderContext> {
    const [session, shape] = await Promise.all([this.session(boardId), this.shape(boardId)]);
    const online = this.onlineParticipants(boardId);
    let viewers = 0;
    for (const data of this.presentData(boardId)) if (data.role === 'viewer') viewers++;
    this.lastShape.set(boardId, shapeKey(shape));
    const roster = session.roster(online);
    return {
      boardId,
      session,
      online,
      shape,
      viewers,
      viewerKey: session.viewerKey,
      roster,
      you: youOf(roster),
      settings: session.settingsView(),
      rounds: session.sharedRoundViews(shape),
      serverNow: this.now().toISOString(),
    };
  }

  /**
   * What one client may see: the only function that decides it. Parts that are the same for
   * everyone come from the context (rendered once per board and change); what differs per
   * client is decided here from its role and participant id.
   */
  private stateFor(data: SocketData, ctx: RenderContext): SessionState {
    const me = data.participantId ? ctx.you.get(data.participantId) : undefined;
    const isViewer = data.role === 'viewer';
    return {
      protocolVersion: PROTOCOL_VERSION,
      // Viewers never learn the board id: it is the participant link.
      boardId: isViewer ? null : ctx.boardId,
      // A viewer's document room is the viewer key it joined with (the board has one).
      docRoom: isViewer ? ctx.viewerKey : ctx.boardId,
      viewerKey: ctx.viewerKey,
      role: data.role ?? 'viewer',
      you: me ?? null,
      roster: ctx.roster,
      viewersOnline: ctx.viewers,
      settings: ctx.settings,
      rounds: ctx.session.roundViews(isViewer ? null : data.participantId, ctx.shape, ctx.rounds),
      serverNow: ctx.serverNow,
    };
  }

  // ---- save notices ---------------------------------------------------------------------

  /**
   * Called by the document endpoint after it committed updates to a board, with the new
   * committed clocks of the Yjs client ids they touched, and whether they may have changed
   * the board's criteria or options (false only when the document guard saw every one of them
   * leave the structure alone). Coalesced per board.
   */
  noticeCommitted(boardId: string, clocks: [client: number, clock: number][], structure = true): void {
    this.idleShapes.delete(boardId);
    if (structure) this.shapeMayHaveChanged.add(boardId);
    let pending = this.savedClocks.get(boardId);
    if (!pending) {
      pending = new Map();
      this.savedClocks.set(boardId, pending);
    }
    for (const [client, clock] of clocks) pending.set(client, Math.max(clock, pending.get(client) ?? 0));
    if (this.savedTimers.has(boardId) || this.savedSoon.has(boardId)) return;
    // The first commit after a quiet spell is reported at once (after this turn: the room is
    // still in its commit); the next ones within SAVED_NOTICE_DELAY_MS of a notice are
    // coalesced into one, when that delay is over. A lone commit then costs no timer.
    const since = performance.now() - (this.lastSavedAt.get(boardId) ?? Number.NEGATIVE_INFINITY);
    if (since >= SAVED_NOTICE_DELAY_MS) {
      this.savedSoon.add(boardId);
      process.nextTick(() => {
        if (this.savedSoon.delete(boardId)) this.flushSaved(boardId);
      });
      return;
    }
    this.savedTimers.set(
      boardId,
      setTimeout(() => this.flushSaved(boardId), SAVED_NOTICE_DELAY_MS - since),
    );
  }

  /** Sends a board's coalesced `doc:saved` now (the timer's work; tests flush explicitly). */
  flushSaved(boardId: string): void {
    const timer = this.savedTimers.get(boardId);
    if (timer) clearTimeout(timer);
    this.savedTimers.delete(boardId);
    this.savedSoon.delete(boardId);
    this.lastSavedAt.set(boardId, performance.now());
    const delta = this.savedClocks.get(boardId);
    this.savedClocks.delete(boardId);
    // Nobody of this process on the session channel of the board: nothing to encode.
    if (delta && delta.size > 0 && this.localCount(boardId) > 0) {
      this.io.local.to(roomOf(boardId)).emit(EVENTS.docSaved, { stateVector: Object.fromEntries(delta) });
    }
    // The cells of a round are the document's criteria × options: when those change,
    // progress changes for everyone. Read again only when a commit may have changed them.
    if (!this.shapeMayHaveChanged.delete(boardId)) return;
    const room = this.yjs.loadedRoom(boardId);
    if (!room) return;
    const rendered = this.lastShape.get(boardId);
    if (rendered !== undefined && rendered !== shapeKey(shapeOfDoc(room.doc))) {
      this.broadcastState(boardId);
    }
  }

  /** Every committed clock of the board, to one socket or to one participant's sockets. */
  sendSavedNotice(boardId: string, to: IoSocket | { participantId: string }): void {
    const room = this.yjs.loadedRoom(boardId);
    if (!room) return;
    const payload = { stateVector: Object.fromEntries(room.committedClocks()) };
    if ('emit' in to) {
      to.emit(EVENTS.docSaved, payload);
      return;
    }
    for (const id of this.io.sockets.adapter.rooms.get(roomOf(boardId)) ?? []) {
      const s = this.io.sockets.sockets.get(id);
      if (s?.data.participantId === to.participantId) s.emit(EVENTS.docSaved, payload);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.peerTimer) clearInterval(this.peerTimer);
    for (const t of this.broadcastTimers.values()) clearTimeout(t.timer);
    this.broadcastTimers.clear();
    for (const t of this.savedTimers.values()) clearTimeout(t);
    this.savedTimers.clear();
    this.savedSoon.clear();
    this.savedClocks.clear();
    await new Promise<void>((resolve) => {
      // io.close() also returns a promise; the callback is the one that waits for the HTTP server.
      this.io.close(() => resolve()).catch(() => resolve());
    });
  }
}

interface RenderContext {
  boardId: string;
  session: BoardSession;
  online: Map<string, 'facilitator' | 'participant'>;
  shape: BoardShape;
  viewers: number;
  viewerKey: string;
  roster: RosterEntry[];
  /** Each roster entry's `you`, by participant id: the same object while the entry is. */
  you: Map<string, { participantId: string; name: string }>;
  settings: BoardSettingsView;
  /** The rounds as everyone sees them; `stateFor` adds each client's own scores. */
  rounds: Omit<RoundView, 'mine'>[];
  serverNow: string;
}

/**
 * `you` for each person on a roster, made once per roster array: the roster keeps its identity
 * while nobody joins, leaves or is renamed, so an unchanged `you` is the same object and a
 * patch compares it without looking inside.
 */
const youCache = new WeakMap<RosterEntry[], Map<string, { participantId: string; name: string }>>();
function youOf(roster: RosterEntry[]): Map<string, { participantId: string; name: string }> {
  let map = youCache.get(roster);
  if (!map) {
    map = new Map(roster.map((e) => [e.id, { participantId: e.id, name: e.name }]));
    youCache.set(roster, map);
  }
  return map;
}

/** Identity of each part of a patch: equal keys mean the same message, encoded once. */
const partIds = new WeakMap<object, number>();
let nextPartId = 1;
function partId(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'u';
  let id = partIds.get(v);
  if (id === undefined) {
    id = nextPartId++;
    partIds.set(v, id);
  }
  return `#${id}`;
}
function patchKey(patch: SessionPatch): string {
  let key = '';
  for (const [k, v] of Object.entries(patch.set ?? {})) key += `${k}=${partId(v)};`;
  key += `-${(patch.unset ?? []).join(',')};`;
  if (patch.rounds) {
    key += `r${patch.rounds.length}:`;
    for (const [i, fields] of Object.entries(patch.rounds.set)) {
      key += `${i}{`;
      for (const [k, v] of Object.entries(fields)) key += `${k}=${partId(v)};`;
      key += '}';
    }
    for (const [i, byField] of Object.entries(patch.rounds.items ?? {})) {
      key += `${i}[`;
      for (const [k, items] of Object.entries(byField)) {
        key += `${k}#${items.length}:`;
        for (const [j, v] of Object.entries(items.set)) key += `${j}=${partId(v)},`;
      }
      key += ']';
    }
  }
  return key;
}

/** A `rate_limited` refusal with its retry hint, or null when the bucket allowed it. */
function refusal(take: Take, who: string): Result<never> | null {
  if (take.ok) return null;
  const seconds = Math.max(1, Math.ceil(take.retryAfterMs / 1000));
  return fail(
    ERROR_CODES.RATE_LIMITED,
    `too many commands from ${who}; try again in ${seconds} s`,
    take.retryAfterMs,
  );
}
