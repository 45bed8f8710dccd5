/**
 * The session channel's constants: event names, close and error codes, and the few values
 * the browser needs. No zod here: the browser imports this module, and lib/protocol.ts (the
 * schemas the server validates with) re-exports everything, so server code is unchanged.
 */
/**
 * 2: after the join, state changes arrive as `session:patch` (lib/session-patch.ts), and a
 * command's acknowledgement carries no state (`Result<null>`); the patch comes just before it.
 */
export const PROTOCOL_VERSION = 2;

/** Event names, `resource:verb`. */
export const EVENTS = {
  // client → server (commands, each with an acknowledgement)
  boardJoin: 'board:join',
  participantRename: 'participant:rename',
  participantSpectate: 'participant:spectate',
  ballotCast: 'ballot:cast',
  ballotKeep: 'ballot:keep',
  evidenceAdd: 'evidence:add',
  // facilitator only
  roundStart: 'round:start',
  roundReveal: 'round:reveal',
  boardSetScale: 'board:set-scale',
  boardSetAutoReveal: 'board:set-auto-reveal',
  boardSetAnonymous: 'board:set-anonymous',
  boardSetJoining: 'board:set-joining',
  boardSetStructureEditors: 'board:set-structure-editors',
  boardLock: 'board:lock',
  boardUnlock: 'board:unlock',
  boardFinalize: 'board:finalize',
  participantRemove: 'participant:remove',
  timerStart: 'timer:start',
  timerStop: 'timer:stop',
  boardSummon: 'board:summon',
  criterionRestore: 'criterion:restore',
  // server → client
  sessionState: 'session:state',
  sessionPatch: 'session:patch',
  docSaved: 'doc:saved',
  sessionError: 'session:error',
} as const;

/**
 * Close codes on /yjs (WebSocket close frames). Documented in docs/PROTOCOL.md. As the
 * standard y-websocket provider reads them: 4400–4499 are final (it stops reconnecting and
 * emits `closed`), 4500–4599 and the standard codes are transient (it reconnects, and the
 * sync handshake resends whatever the server lacks).
 */
export const YJS_CLOSE = {
  /** Standard: message larger than LIMITS.MAX_YJS_MESSAGE_BYTES. */
  MESSAGE_TOO_BIG: 1009,
  /** Not a valid y-websocket message, an update Yjs cannot decode, or a malformed address. */
  BAD_MESSAGE: 4400,
  /** A board id without valid participant credentials (`?participant=…&token=…`). */
  CREDENTIALS_REQUIRED: 4401,
  /** The participant was removed, or the update writes with a Yjs client id someone else owns. */
  FORBIDDEN: 4403,
  /** No board with that id (or viewer key). Connecting never creates a board. */
  UNKNOWN_BOARD: 4404,

  /** The board would grow past LIMITS.MAX_BOARD_BYTES. */
  BOARD_TOO_BIG: 4413,
  /**
   * The update breaks the board schema or a limit, or changes structure while it is frozen.
   * It was refused whole; the client should drop its local changes and resync.
   */
  UPDATE_REFUSED: 4422,
  /** The server could not load or store the board; reconnect later. */
  STORAGE_FAILED: 4500,
  /** The update depends on edits the server does not have: reconnect, the sync handshake resends them. */
  OUT_OF_SYNC: 4509,
  /** Too many messages, sync requests or connections; reconnect later (nothing is lost). */
  RATE_LIMITED: 4529,
  /** The server is shutting down; reconnect later. */
  GOING_AWAY: 1001,
  /** Standard: the client does not read what it is sent; reconnect. */
  TRY_AGAIN_LATER: 1013,
} as const;

/** Error codes in acknowledgements and HTTP error bodies. */
export const ERROR_CODES = {
  BAD_REQUEST: 'bad_request',
  NOT_FOUND: 'not_found',
  FORBIDDEN: 'forbidden',
  BAD_TOKEN: 'bad_token',
  NOT_JOINED: 'not_joined',
  BOARD_FULL: 'board_full',
  /** The facilitator closed joining: only people who joined before may come back. */
  JOINING_CLOSED: 'joining_closed',
  /** Too many commands; the error carries `retryAfterMs`. */
  RATE_LIMITED: 'rate_limited',
  /** The board holds as much of this as it may (e.g. LIMITS.MAX_EVIDENCE_PER_BOARD). */
  LIMIT_REACHED: 'limit_reached',
  /** The command needs the facilitator key. */
  NOT_FACILITATOR: 'not_facilitator',
  /** Viewers cannot send commands that change anything. */
  READ_ONLY: 'read_only',
  /** The board is locked or finalized. */
  BOARD_LOCKED: 'board_locked',
  NO_OPEN_ROUND: 'no_open_round',
  ROUND_CLOSED: 'round_closed',
  /** A round is still open: reveal it before starting another. */
  ROUND_IN_PROGRESS: 'round_in_progress',
  UNKNOWN_CELL: 'unknown_cell',
  OUT_OF_SCALE: 'out_of_scale',
  SPECTATOR: 'spectator',
  /** The scale can change only before the first ballot. */
  SCALE_LOCKED: 'scale_locked',
  REMOVED: 'removed',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  /** The request body did not arrive in time (HTTP 408). */
  REQUEST_TIMEOUT: 'request_timeout',
  INTERNAL: 'internal',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** The ballot value of an abstention ("don't know") on one cell. */
export const ABSTAIN = 'abstain';

export const ROUND_MODES = ['blind', 'open'] as const;
export type RoundMode = (typeof ROUND_MODES)[number];

/** The two scales a facilitator may pick: 1–5 (default) or 0–10. */
export const SCALES = [
  { min: 1, max: 5 },
  { min: 0, max: 10 },
] as const;

export const STRUCTURE_EDITORS = ['everyone', 'facilitator'] as const;
export type StructureEditors = (typeof STRUCTURE_EDITORS)[number];

export const SUMMON_TARGETS = ['scores', 'matrix', 'decision'] as const;
export type SummonTarget = (typeof SUMMON_TARGETS)[number];
