/**
 * Every size and rate limit of the product, in one place. Documented in
 * docs/PROTOCOL.md ("Limits"); tests exercise each one.
 */
export const LIMITS = {
  /** Largest single WebSocket message on /yjs (sync or awareness). */
  MAX_YJS_MESSAGE_BYTES: 256 * 1024,
  /** Largest encoded board document; updates that would grow it past this are refused. */
  MAX_BOARD_BYTES: 4 * 1024 * 1024,
  /** Largest Socket.IO message. */
  MAX_SOCKET_MESSAGE_BYTES: 64 * 1024,
  /** Largest REST request body. */
  MAX_HTTP_BODY_BYTES: 16 * 1024,
  /** Longest single string value a document update may carry. */
  MAX_DOC_STRING_CHARS: 4000,
  MAX_TITLE_CHARS: 200,
  MAX_QUESTION_CHARS: 500,
  MAX_NAME_CHARS: 80,
  MAX_DESCRIPTION_CHARS: 500,
  MAX_EVIDENCE_CHARS: 600,
  MAX_NOTES_CHARS: 4000,
  MAX_URL_CHARS: 2000,
  MAX_DISPLAY_NAME_CHARS: 40,
  MAX_RATIONALE_CHARS: 200,
  MAX_OPTIONS: 12,
  MAX_CRITERIA: 40,
  MAX_PARTICIPANTS_PER_BOARD: 100,
  MIN_WEIGHT: 0,
  MAX_WEIGHT: 100,
  /** Evidence items on one board, all criteria together; `evidence:add` refuses more. */
  MAX_EVIDENCE_PER_BOARD: 1000,

  // Session-channel rate limits, as token buckets (server/rate-limit.ts): a burst at once,
  // then a sustained rate. Every command counts, joins included; refusals are `rate_limited`
  // with `retryAfterMs`. Sized for a 100-person board scoring at once and for a workshop
  // behind one NAT (everyone shares one address).
  /** Commands one connection may send at once… */
  COMMAND_BURST_PER_CONNECTION: 120,
  /** …and per second after that. */
  COMMANDS_PER_SECOND_PER_CONNECTION: 12,
  /** Commands one participant may send at once, all their connections together… */
  COMMAND_BURST_PER_PARTICIPANT: 120,
  COMMANDS_PER_SECOND_PER_PARTICIPANT: 10,
  /** Commands one board accepts at once from all its participants (a whole room scoring)… */
  COMMAND_BURST_PER_BOARD: 200,
  COMMANDS_PER_SECOND_PER_BOARD: 40,
  /** Commands from one client address at once, all connections and boards together… */
  COMMAND_BURST_PER_ADDRESS: 600,
  COMMANDS_PER_SECOND_PER_ADDRESS: 50,
  /**
   * New participants one client address may create at once: a whole workshop behind one NAT
   * joins within a minute. Returning people (with their credentials) do not count.
   */
  NEW_PARTICIPANT_BURST_PER_ADDRESS: 40,
  NEW_PARTICIPANTS_PER_MINUTE_PER_ADDRESS: 30,
} as const;
