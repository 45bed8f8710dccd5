import { z } from 'zod';
import { LIMITS } from './limits';

/**
 * The session channel (Socket.IO) contract, shared by server and browser. Every payload is
 * validated with the zod schemas here at the server boundary; every command is answered
 * with a `Result`. Documented in docs/PROTOCOL.md.
 */
export const PROTOCOL_VERSION = 1;

/** Event names, `resource:verb`. */
export const EVENTS = {
  // client → server (commands, each with an acknowledgement)
  boardJoin: 'board:join',
  participantRename: 'participant:rename',
  // server → client
  sessionState: 'session:state',
  docSaved: 'doc:saved',
  sessionError: 'session:error',
} as const;

/** Close codes on /yjs (WebSocket close frames). Documented in docs/PROTOCOL.md. */
export const YJS_CLOSE = {
  /** Standard: message larger than LIMITS.MAX_YJS_MESSAGE_BYTES. */
  MESSAGE_TOO_BIG: 1009,
  /** Not a valid y-websocket message, or an update Yjs cannot decode. */
  BAD_MESSAGE: 4400,
  /** No board with that id (or viewer key). Connecting never creates a board. */
  UNKNOWN_BOARD: 4404,
  /** The board would grow past LIMITS.MAX_BOARD_BYTES. */
  BOARD_TOO_BIG: 4413,
  /** The server could not load or store the board; reconnect later. */
  STORAGE_FAILED: 4500,
  /** The server is shutting down; reconnect later. */
  GOING_AWAY: 1001,
} as const;

/** Error codes in acknowledgements and HTTP error bodies. */
export const ERROR_CODES = {
  BAD_REQUEST: 'bad_request',
  NOT_FOUND: 'not_found',
  FORBIDDEN: 'forbidden',
  BAD_TOKEN: 'bad_token',
  NOT_JOINED: 'not_joined',
  BOARD_FULL: 'board_full',
  RATE_LIMITED: 'rate_limited',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  INTERNAL: 'internal',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface ProtocolError {
  code: ErrorCode;
  message: string;
}

/** Acknowledgement of every command. */
export type Result<T> = { ok: true; data: T } | { ok: false; error: ProtocolError };

export const ok = <T>(data: T): Result<T> => ({ ok: true, data });
export const fail = (code: ErrorCode, message: string): Result<never> => ({
  ok: false,
  error: { code, message },
});

// ---- payload schemas -------------------------------------------------------------------

/** Secrets: base64url, at least 128 bits (22 chars). */
export const secretSchema = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, 'not a valid key');

export const displayNameSchema = z
  .string()
  .trim()
  .min(1, 'a display name is required')
  .max(LIMITS.MAX_DISPLAY_NAME_CHARS, `display names are at most ${LIMITS.MAX_DISPLAY_NAME_CHARS} characters`)
  // Control characters would let a name break layouts and logs.
  .refine((s) => !/\p{Cc}/u.test(s), 'display names cannot contain control characters');

export const joinPayloadSchema = z.discriminatedUnion('as', [
  z.object({
    as: z.literal('participant'),
    boardId: secretSchema,
    name: displayNameSchema,
    /** Present on re-join: the id and token this browser got on its first join. */
    participantId: z.string().max(64).optional(),
    token: z.string().max(64).optional(),
    /** Present for the facilitator (from the URL fragment). */
    facilitatorKey: z.string().max(64).optional(),
    protocolVersion: z.number().int().optional(),
  }),
  z.object({
    as: z.literal('viewer'),
    viewerKey: secretSchema,
    protocolVersion: z.number().int().optional(),
  }),
]);
export type JoinPayload = z.infer<typeof joinPayloadSchema>;

export const renamePayloadSchema = z.object({ name: displayNameSchema });
export type RenamePayload = z.infer<typeof renamePayloadSchema>;

// ---- state pushed to clients -----------------------------------------------------------

export type Role = 'facilitator' | 'participant' | 'viewer';

export interface RosterEntry {
  id: string;
  name: string;
  role: Exclude<Role, 'viewer'>;
  online: boolean;
}

/** Everything this client may see of the session, pushed whole on every change. */
export interface SessionState {
  protocolVersion: number;
  boardId: string | null;
  /** The Yjs room this client should open: the board id, or the viewer key for viewers. */
  docRoom: string;
  role: Role;
  you: { participantId: string; name: string } | null;
  roster: RosterEntry[];
  viewersOnline: number;
}

export interface JoinResult {
  state: SessionState;
  /** Only on a participant's first join: keep it to re-join as the same person. */
  credentials?: { participantId: string; token: string };
}

/** Pushed after the server committed document updates: its state vector (clientID → clock). */
export interface DocSavedPayload {
  stateVector: Record<string, number>;
}

export interface ServerToClientEvents {
  [EVENTS.sessionState]: (state: SessionState) => void;
  [EVENTS.docSaved]: (payload: DocSavedPayload) => void;
  [EVENTS.sessionError]: (error: ProtocolError) => void;
}

export interface ClientToServerEvents {
  [EVENTS.boardJoin]: (payload: JoinPayload, ack: (result: Result<JoinResult>) => void) => void;
  [EVENTS.participantRename]: (payload: RenamePayload, ack: (result: Result<SessionState>) => void) => void;
}

// biome-ignore lint/complexity/noBannedTypes: Socket.IO's generic slot; no inter-server events yet.
export type InterServerEvents = {};

export interface SocketData {
  boardId: string | null;
  role: Role | null;
  participantId: string | null;
}

// ---- REST --------------------------------------------------------------------------------

export const createBoardBodySchema = z
  .object({
    template: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'unknown template'),
    title: z.string().trim().min(1).max(LIMITS.MAX_TITLE_CHARS).optional(),
  })
  .strict();
export type CreateBoardBody = z.infer<typeof createBoardBodySchema>;

export interface CreateBoardResponse {
  id: string;
  facilitatorKey: string;
  viewerKey: string;
  links: { participant: string; facilitator: string; viewer: string };
}

/** Formats a zod error as one readable sentence naming the fields. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .slice(0, 5)
    .join('; ');
}
