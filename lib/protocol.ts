import { LIMITS } from './limits';
import {
  ABSTAIN,
  type ErrorCode,
  EVENTS,
  ROUND_MODES,
  type RoundMode,
  SCALES,
  STRUCTURE_EDITORS,
  type StructureEditors,
  SUMMON_TARGETS,
  type SummonTarget,
} from './protocol-constants';
import type { SessionPatch } from './session-patch';
import { hasDeceptiveChars, isSafeLine } from './text-safety';
import { z } from './zod';

// The constants live in a module without zod, so the browser bundle need not carry zod.
export {
  ABSTAIN,
  ERROR_CODES,
  type ErrorCode,
  EVENTS,
  PROTOCOL_VERSION,
  ROUND_MODES,
  type RoundMode,
  SCALES,
  STRUCTURE_EDITORS,
  type StructureEditors,
  SUMMON_TARGETS,
  type SummonTarget,
  YJS_CLOSE,
} from './protocol-constants';

/**
 * The session channel (Socket.IO) contract, shared by server and browser. Every payload is
 * validated with the zod schemas here at the server boundary; every command is answered
 * with a `Result`. Documented in docs/PROTOCOL.md.
 */

export interface ProtocolError {
  code: ErrorCode;
  message: string;
  /**
   * With `rate_limited`: milliseconds until the refused command would be accepted, if the
   * client sends nothing else meanwhile.
   */
  retryAfterMs?: number;
}

/** Acknowledgement of every command. */
export type Result<T> = { ok: true; data: T } | { ok: false; error: ProtocolError };

export const ok = <T>(data: T): Result<T> => ({ ok: true, data });
export const fail = (code: ErrorCode, message: string, retryAfterMs?: number): Result<never> => ({
  ok: false,
  error: retryAfterMs === undefined ? { code, message } : { code, message, retryAfterMs },
});

// ---- payload schemas -------------------------------------------------------------------

/** The refusal of text with bidi overrides or invisible characters (lib/text-safety.ts). */
function deceptiveMessage(what: string): string {
  return `${what} cannot contain invisible or direction-changing characters (bidi overrides, zero-width spaces)`;
}

/** Secrets: base64url, at least 128 bits (22 chars). */
export const secretSchema = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, 'not a valid key');

export const displayNameSchema = z
  .string()
  .trim()
  .min(1, 'a display name is required')
  .max(LIMITS.MAX_DISPLAY_NAME_CHARS, `display names are at most ${LIMITS.MAX_DISPLAY_NAME_CHARS} characters`)
  // Control characters would let a name break layouts and logs; bidi overrides and
  // invisible characters would let it pass for someone else's.
  .refine((s) => !/\p{Cc}/u.test(s), 'display names cannot contain control characters')
  .refine((s) => isSafeLine(s), deceptiveMessage('display names'));

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

const idSchema = z.string().min(1).max(64);
const oneLine = (max: number, what: string) =>
  z
    .string()
    .trim()
    .max(max, `${what} is at most ${max} characters`)
    .refine((s) => !/\p{Cc}/u.test(s), `${what} must be one line of text`)
    .refine((s) => isSafeLine(s), deceptiveMessage(what));

export const spectatePayloadSchema = z.object({ spectator: z.boolean() }).strict();

export const ballotPayloadSchema = z
  .object({
    roundId: idSchema,
    criterionId: idSchema,
    optionId: idSchema,
    /**
     * An integer on the board's scale; `'abstain'` for "don't know" (counts as done, left out of
     * every statistic); or null to clear the cell.
     */
    value: z.union([z.number().int('scores are whole numbers'), z.literal(ABSTAIN)]).nullable(),
    rationale: oneLine(LIMITS.MAX_RATIONALE_CHARS, 'a rationale').optional(),
    /** Optional; when present it must be the caller's own id (a ballot for someone else is refused). */
    participantId: idSchema.optional(),
  })
  .strict();
export type BallotPayload = z.infer<typeof ballotPayloadSchema>;
/** Keeps every score carried over into this round as it is (they count as done from then on). */
export const ballotKeepPayloadSchema = z.object({ roundId: idSchema }).strict();

export const roundStartPayloadSchema = z
  .object({
    mode: z.enum(ROUND_MODES).default('blind'),
    /** Scores shown under pseudonyms, for good; default: the board's `anonymous` setting. */
    anonymous: z.boolean().optional(),
    /**
     * Start every voter from their own scores, abstentions and rationales of the previous round
     * (default true). Carried scores count as done once changed or kept (`ballot:keep`).
     */
    carryOver: z.boolean().optional(),
  })
  .strict();
export const roundRevealPayloadSchema = z.object({ roundId: idSchema }).strict();

export const setScalePayloadSchema = z
  .object({ min: z.number().int(), max: z.number().int() })
  .strict()
  .refine((s) => SCALES.some((x) => x.min === s.min && x.max === s.max), 'the scale is 1–5 or 0–10');
export const togglePayloadSchema = z.object({ enabled: z.boolean() }).strict();
/** `open: false` closes the board to newcomers; people who joined before may still come back. */
export const setJoiningPayloadSchema = z.object({ open: z.boolean() }).strict();
/** Who may change options, criteria and weights in the document (enforced on /yjs). */
export const setStructureEditorsPayloadSchema = z.object({ editors: z.enum(STRUCTURE_EDITORS) }).strict();
export const participantRemovePayloadSchema = z.object({ participantId: idSchema }).strict();
/** Puts a removed criterion back (facilitator; not while a round is open). */
export const criterionRestorePayloadSchema = z.object({ criterionId: idSchema }).strict();
export const timerStartPayloadSchema = z
  .object({ seconds: z.number().int().min(10, 'at least 10 seconds').max(3600, 'at most an hour') })
  .strict();
export const finalizePayloadSchema = z.object({}).strict();
/** Where the facilitator can bring everyone ("follow the facilitator"). */
export const summonPayloadSchema = z.object({ target: z.enum(SUMMON_TARGETS) }).strict();

export const evidencePayloadSchema = z
  .object({
    criterionId: idSchema,
    /** The option the claim is about, or null for a claim comparing the options. */
    optionId: idSchema.nullable(),
    text: oneLine(LIMITS.MAX_EVIDENCE_CHARS, 'evidence').pipe(z.string().min(1, 'evidence cannot be empty')),
    url: z
      .string()
      .trim()
      .max(LIMITS.MAX_URL_CHARS)
      .refine((u) => {
        try {
          const p = new URL(u).protocol;
          return p === 'http:' || p === 'https:';
        } catch {
          return false;
        }
      }, 'links must be http:// or https:// addresses')
      .refine((u) => !hasDeceptiveChars(u), deceptiveMessage('a link'))
      .optional(),
  })
  .strict();
export type EvidencePayload = z.infer<typeof evidencePayloadSchema>;

// ---- state pushed to clients -----------------------------------------------------------

export type Role = 'facilitator' | 'participant' | 'viewer';

export interface RosterEntry {
  id: string;
  name: string;
  role: Exclude<Role, 'viewer'>;
  online: boolean;
  /** Spectators do not vote and do not hold up an automatic reveal. */
  spectator: boolean;
}

export interface ScoreView {
  /**
   * The scorer. In an anonymous round, a pseudonym (`anon-1`, `anon-2`, …) instead of the id,
   * except in `mine`: numbered in an order only the server can compute, and valid for that
   * round only (`anon-1` of one round is not `anon-1` of another).
   */
  participantId: string;
  criterionId: string;
  optionId: string;
  /** On the board's scale; null: abstained ("don't know"), left out of every statistic. */
  value: number | null;
  rationale: string;
  /**
   * Only in `mine`: carried over from your previous round and neither changed nor kept yet.
   * Never sent in `scores` (it would tie an anonymous round's pseudonym to the previous round).
   */
  carried?: boolean;
}

/** How far one voter is in a round. */
export interface ProgressEntry {
  participantId: string;
  /**
   * Every cell of the board's current criteria × options is scored or abstained — and not just
   * carried over from the previous round (changed or kept).
   */
  done: boolean;
  /** Cells scored or abstained (carried cells not yet kept do not count); null in an anonymous round. */
  scored: number | null;
  /** The board's current cells. */
  total: number;
}

export interface RoundView {
  id: string;
  number: number;
  mode: RoundMode;
  status: 'open' | 'revealed';
  /** Fixed when the round starts: its scores carry pseudonyms, for good. */
  anonymous: boolean;
  startedAt: string;
  revealedAt: string | null;
  /**
   * For everyone: how far each voter is. In an anonymous round only `done` (and an empty list
   * once it is revealed, or while an open-mode anonymous round shows scores live).
   */
  progress: ProgressEntry[];
  /** Voters (participants neither removed nor spectating) and how many of them are done. */
  voters: number;
  finished: number;
  /** This participant's own scores in this round. */
  mine: ScoreView[];
  /** Everyone's scores: only after the reveal, or live in an open round; otherwise null. */
  scores: ScoreView[] | null;
  /** Scores kept for criteria or options deleted since; left out of the matrix. */
  orphanedScores: number;
}

export interface BoardSettingsView {
  scale: { min: number; max: number };
  autoReveal: boolean;
  /** New rounds are anonymous by default (each round keeps its own flag). */
  anonymous: boolean;
  status: 'open' | 'locked' | 'finalized';
  finalizedAt: string | null;
  /** Newcomers are refused (`joining_closed`); people who joined before may come back. */
  joinClosed: boolean;
  structureEditors: StructureEditors;
  /** A countdown everyone sees; endsAt is the server's clock (use serverNow to correct skew). */
  timer: { endsAt: string; seconds: number } | null;
  /**
   * The facilitator's latest "bring everyone here" (`board:summon`): pages that follow the
   * facilitator go there when `seq` changes. Kept in memory only; null until the first one.
   */
  summon: { target: SummonTarget; seq: number } | null;
}

/**
 * Everything this client may see of the session: whole in the join acknowledgement (and in
 * `session:state`), then kept current by `session:patch` (see lib/session-patch.ts).
 */
export interface SessionState {
  protocolVersion: number;
  boardId: string | null;
  /** The Yjs room this client should open: the board id, or the viewer key for viewers. */
  docRoom: string;
  /** The read-only viewer key, for participants to share as the viewer link (/v/<key>). */
  viewerKey: string;
  role: Role;
  you: { participantId: string; name: string } | null;
  roster: RosterEntry[];
  viewersOnline: number;
  settings: BoardSettingsView;
  /** Oldest first. */
  rounds: RoundView[];
  /** The server's clock when this state was sent. */
  serverNow: string;
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
  /** A whole state, replacing what the client had (not sent by this server version after the join). */
  [EVENTS.sessionState]: (state: SessionState) => void;
  /** What changed since the last state or patch this connection received: apply in order. */
  [EVENTS.sessionPatch]: (patch: SessionPatch) => void;
  [EVENTS.docSaved]: (payload: DocSavedPayload) => void;
  [EVENTS.sessionError]: (error: ProtocolError) => void;
}

/**
 * A command. Its acknowledgement carries no state: when it changed this client's state, the
 * `session:patch` saying so arrives before the acknowledgement.
 */
type Command<P> = (payload: P, ack: (result: Result<null>) => void) => void;

export interface ClientToServerEvents {
  [EVENTS.boardJoin]: (payload: JoinPayload, ack: (result: Result<JoinResult>) => void) => void;
  [EVENTS.participantRename]: Command<RenamePayload>;
  [EVENTS.participantSpectate]: Command<z.input<typeof spectatePayloadSchema>>;
  [EVENTS.ballotCast]: Command<z.input<typeof ballotPayloadSchema>>;
  [EVENTS.ballotKeep]: Command<z.input<typeof ballotKeepPayloadSchema>>;
  [EVENTS.evidenceAdd]: Command<z.input<typeof evidencePayloadSchema>>;
  [EVENTS.roundStart]: Command<z.input<typeof roundStartPayloadSchema>>;
  [EVENTS.roundReveal]: Command<z.input<typeof roundRevealPayloadSchema>>;
  [EVENTS.boardSetScale]: Command<z.input<typeof setScalePayloadSchema>>;
  [EVENTS.boardSetAutoReveal]: Command<z.input<typeof togglePayloadSchema>>;
  [EVENTS.boardSetAnonymous]: Command<z.input<typeof togglePayloadSchema>>;
  [EVENTS.boardSetJoining]: Command<z.input<typeof setJoiningPayloadSchema>>;
  [EVENTS.boardSetStructureEditors]: Command<z.input<typeof setStructureEditorsPayloadSchema>>;
  [EVENTS.boardLock]: Command<Record<string, never>>;
  [EVENTS.boardUnlock]: Command<Record<string, never>>;
  [EVENTS.boardFinalize]: Command<Record<string, never>>;
  [EVENTS.participantRemove]: Command<z.input<typeof participantRemovePayloadSchema>>;
  [EVENTS.timerStart]: Command<z.input<typeof timerStartPayloadSchema>>;
  [EVENTS.timerStop]: Command<Record<string, never>>;
  [EVENTS.boardSummon]: Command<z.input<typeof summonPayloadSchema>>;
  [EVENTS.criterionRestore]: Command<z.input<typeof criterionRestorePayloadSchema>>;
}

/**
 * Between server processes (through the Redis Streams adapter; never from clients). A board's
 * session changed: reload it from storage, and take the state kept in memory only (timer,
 * summon) from the sender. A board's presence changed: ask every process who is connected.
 */
export interface SessionChangedNotice {
  boardId: string;
  /**
   * Absent (both) only in a notice sent again after a Redis outage by a process that did not
   * change them meanwhile: keep your own.
   */
  timer?: { endsAt: string; seconds: number } | null;
  summon?: { target: SummonTarget; seq: number } | null;
}
export interface InterServerEvents {
  'session:changed': (notice: SessionChangedNotice) => void;
  'presence:changed': (boardId: string) => void;
}

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
