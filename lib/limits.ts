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
  /** Entries of the board's "who changed what" history (oldest dropped first). */
  MAX_HISTORY_ENTRIES: 50,
  /** Removed criteria the board keeps for the facilitator to restore (oldest dropped first). */
  MAX_REMOVED_CRITERIA: 10,
  /** A rename or weight change by the same person within this time updates their last entry. */
  HISTORY_COALESCE_MS: 60_000,

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

  // ---- the document connection (/yjs) ----
  /** Messages one document connection may send: a burst, then a sustained rate. */
  YJS_MESSAGES_BURST: 300,
  YJS_MESSAGES_PER_SECOND: 60,
  /** Bytes one document connection may send: a burst, then a sustained rate. */
  YJS_BYTES_BURST: 2 * 1024 * 1024,
  YJS_BYTES_PER_SECOND: 256 * 1024,
  /** Sync requests (each answered with up to the whole board) per connection. */
  YJS_SYNC_REQUESTS_BURST: 5,
  YJS_SYNC_REQUESTS_PER_SECOND: 0.2,
  /** Messages kept while a board loads, before the connection is refused. */
  MAX_YJS_EARLY_MESSAGES: 64,
  MAX_YJS_EARLY_BYTES: 1024 * 1024,
  /** Unsent bytes the server keeps for one connection; a client that does not read is dropped. */
  MAX_YJS_BUFFERED_BYTES: 16 * 1024 * 1024,
  /** Awareness (presence) a connection may share. */
  MAX_AWARENESS_MESSAGE_BYTES: 16 * 1024,
  MAX_AWARENESS_IDS_PER_CONNECTION: 4,
  MAX_AWARENESS_STATE_CHARS: 2048,
  /** New document connections per client address: a burst, then a sustained rate. */
  YJS_CONNECTS_BURST: 120,
  YJS_CONNECTS_PER_SECOND: 2,
} as const;

/**
 * Limits of the HTTP surface (REST and the upgrade to WebSockets). Rates are token buckets
 * (server/rate-limit.ts): a burst, then a sustained refill. Documented in docs/PROTOCOL.md.
 */
export const HTTP_LIMITS = {
  /** Time a client has to send its request headers. */
  HEADERS_TIMEOUT_MS: 10_000,
  /** Time a client has to send a whole request; longer than the body read, so that answers first. */
  REQUEST_TIMEOUT_MS: 30_000,
  /** Time a REST handler waits for a JSON body before answering 408. */
  BODY_READ_TIMEOUT_MS: 10_000,
  /** How often Node checks the two timeouts above (its default, 30 s, would add up to 30 s). */
  TIMEOUT_CHECK_INTERVAL_MS: 1_000,
  /** POST /api/boards from one client address: a workshop makes one board, a trainer a few. */
  BOARD_CREATE_BURST_PER_ADDRESS: 10,
  BOARD_CREATE_REFILL_PER_ADDRESS_PER_HOUR: 12,
  /**
   * POST /api/boards from everyone together: bounds how fast the disk can fill whatever the
   * number of addresses (a default-template board stores ~29 KB: at most ~85 MB a day).
   */
  BOARD_CREATE_BURST_GLOBAL: 30,
  BOARD_CREATE_REFILL_GLOBAL_PER_HOUR: 120,
  /**
   * Board summary and decision.md GETs from one client address. Generous enough for a room
   * behind one NAT downloading the record at the end of a workshop.
   */
  BOARD_READ_BURST_PER_ADDRESS: 30,
  BOARD_READ_REFILL_PER_ADDRESS_PER_MINUTE: 30,
  /** Client addresses (or IPv6 /64 networks) remembered per bucket set before idle ones are forgotten. */
  RATE_LIMIT_MAX_ADDRESSES: 10_000,
} as const;
