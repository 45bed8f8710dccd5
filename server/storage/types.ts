/**
 * The storage port. One contract test suite (tests/integration/storage-contract.test.ts)
 * runs against every implementation. Every method resolves only after the write is
 * committed: callers rely on that to acknowledge and relay only what is durable.
 */

export interface BoardRow {
  id: string;
  /** SHA-256 (hex) of the facilitator key; the key itself is never stored. */
  facilitatorKeyHash: string;
  /** SHA-256 (hex) of the viewer key: the index viewer links are looked up by. */
  viewerKeyHash: string;
  /**
   * The viewer key itself. Unlike the other secrets it is kept, because participants are
   * shown the viewer link to pass on; it grants read-only access and nothing else.
   */
  viewerKey: string;
  templateId: string;
  createdAt: string;
}

export interface StoredDocument {
  /** The compacted state, or null before the first compaction. */
  snapshot: Uint8Array | null;
  /** Updates appended after the snapshot, oldest first. */
  updates: Uint8Array[];
  /** Sequence number of the last update in `updates` (0 when none). */
  lastSeq: number;
  /** Bytes stored for this document (snapshot + updates). */
  storedBytes: number;
}

/** One stored document update and its per-board sequence number. */
export interface DocUpdate {
  seq: number;
  update: Uint8Array;
}

export interface ParticipantRow {
  id: string;
  boardId: string;
  name: string;
  /** SHA-256 (hex) of the participant's secret token. */
  tokenHash: string;
  createdAt: string;
  spectator: boolean;
  removed: boolean;
}

/** Board settings owned by the session channel (the referee), not by the document. */
export interface BoardSettings {
  scaleMin: number;
  scaleMax: number;
  autoReveal: boolean;
  /** Rounds started while this is on are anonymous (the flag is kept per round). */
  anonymous: boolean;
  status: 'open' | 'locked' | 'finalized';
  finalizedAt: string | null;
  /** When true, nobody new may join; people who joined before may come back. */
  joinClosed: boolean;
  /** Who may change the board's structure (options, criteria) and weights. */
  structureEditors: 'everyone' | 'facilitator';
}

export const DEFAULT_SETTINGS: BoardSettings = {
  scaleMin: 1,
  scaleMax: 5,
  autoReveal: false,
  anonymous: false,
  status: 'open',
  finalizedAt: null,
  joinClosed: false,
  structureEditors: 'everyone',
};

export interface RoundRow {
  id: string;
  boardId: string;
  number: number;
  mode: 'blind' | 'open';
  startedAt: string;
  revealedAt: string | null;
  /** Fixed when the round starts: its scores are shown under pseudonyms, for good. */
  anonymous: boolean;
}

export interface ScoreRow {
  boardId: string;
  roundId: string;
  participantId: string;
  criterionId: string;
  optionId: string;
  /** A score on the board's scale, or null: the participant abstained ("don't know") on this cell. */
  value: number | null;
  rationale: string;
  updatedAt: string;
  /**
   * Copied from the participant's previous round when this round started, and neither changed
   * nor kept since. It still counts at the reveal (it is that person's last word) but not as done.
   */
  carried: boolean;
}

/** Who first wrote with a Yjs client id on a board: a participant id, or `server`. */
export interface DocClientOwner {
  clientId: number;
  owner: string;
}

/** The decision record as it was when the board was finalized. */
export interface StoredRecord {
  markdown: string;
  fileName: string;
  createdAt: string;
}

/** See `BoardStore.sessionChangesSince`. */
export interface SessionChanges {
  version: number;
  settings: BoardSettings;
  participants: ParticipantRow[];
  rounds: RoundRow[];
  /** Scores set after the version asked about (their current values). */
  upserted: ScoreRow[];
  /** Scores deleted after it and not set again since. */
  deleted: Pick<ScoreRow, 'boardId' | 'roundId' | 'participantId' | 'criterionId' | 'optionId'>[];
}

export interface BoardStore {
  /** Creates the board and its first document state atomically. */
  createBoard(board: BoardRow, initialUpdate: Uint8Array): Promise<void>;
  getBoard(id: string): Promise<BoardRow | null>;
  findBoardByViewerKeyHash(hash: string): Promise<BoardRow | null>;

  loadDocument(boardId: string): Promise<StoredDocument>;
  /**
   * Appends one update; resolves with its sequence number once committed. Sequence numbers
   * increase per board; on Postgres they are also gapless per board across processes (a gap
   * means an update not seen yet), on SQLite they are shared by all boards of the file.
   */
  appendUpdate(boardId: string, update: Uint8Array): Promise<number>;
  /**
   * Appends several updates in order, and records the owners of Yjs client ids seen for
   * the first time, in one transaction (group commit). Resolves with the sequence number
   * of the last update once committed; all or nothing.
   */
  appendUpdates(boardId: string, updates: Uint8Array[], owners?: DocClientOwner[]): Promise<number>;
  /**
   * Replaces every update up to and including `uptoSeq` by `snapshot`, atomically. The caller
   * promises that `snapshot` holds every update with seq <= uptoSeq; later updates are kept.
   * One compaction of a board runs at a time (across processes); a compaction older than the
   * stored snapshot (another process folded more already) changes nothing.
   */
  compact(boardId: string, snapshot: Uint8Array, uptoSeq: number): Promise<void>;
  /**
   * The stored updates with seq > afterSeq, oldest first (catching up after a gap), or null
   * when some of them were folded into a snapshot since: the caller must load the whole
   * document (`loadDocument`) instead.
   */
  loadUpdatesSince(boardId: string, afterSeq: number): Promise<DocUpdate[] | null>;
  /**
   * A number that grows with every committed change of the document (the sequence number
   * of its newest update, stored or folded into the snapshot). For caches.
   */
  documentVersion(boardId: string): Promise<number>;
  /** The recorded owners of the board's Yjs client ids. */
  listDocClients(boardId: string): Promise<DocClientOwner[]>;

  addParticipant(participant: ParticipantRow): Promise<void>;
  getParticipant(boardId: string, id: string): Promise<ParticipantRow | null>;
  listParticipants(boardId: string): Promise<ParticipantRow[]>;
  renameParticipant(boardId: string, id: string, name: string): Promise<void>;
  setSpectator(boardId: string, id: string, spectator: boolean): Promise<void>;
  /** Marks a participant removed: it can no longer join or vote; its past scores stay. */
  removeParticipant(boardId: string, id: string): Promise<void>;

  /**
   * A number that changes with every session write of the board (participants, settings,
   * rounds, scores, its record). A process whose in-memory session was read at another
   * version reloads it before running a command (several processes on one store).
   */
  sessionVersion(boardId: string): Promise<number>;
  /**
   * What a process whose session of the board was read at `sinceVersion` needs to be current,
   * read in one snapshot: the version it is current at, the settings, participants and rounds
   * whole, and only the scores set or deleted after `sinceVersion`. Null when this store cannot
   * tell (one process per store: it never needs to): the caller reloads the session whole.
   */
  sessionChangesSince(boardId: string, sinceVersion: number): Promise<SessionChanges | null>;
  /**
   * Runs `fn` while holding the board's command lock: the session commands of one board run
   * one at a time across every process on this store (in one process, the caller's own queue
   * suffices and this just runs `fn`). Released when `fn` settles, or when the process dies.
   */
  withBoardLock<T>(boardId: string, fn: () => Promise<T>): Promise<T>;

  getSettings(boardId: string): Promise<BoardSettings>;
  updateSettings(boardId: string, patch: Partial<BoardSettings>): Promise<void>;

  listRounds(boardId: string): Promise<RoundRow[]>;
  createRound(round: RoundRow): Promise<void>;
  revealRound(boardId: string, roundId: string, revealedAt: string): Promise<void>;

  listScores(boardId: string): Promise<ScoreRow[]>;
  upsertScore(score: ScoreRow): Promise<void>;
  /** Writes several scores in one transaction (carrying a round over); all or nothing. */
  upsertScores(scores: ScoreRow[]): Promise<void>;
  deleteScore(
    key: Pick<ScoreRow, 'boardId' | 'roundId' | 'participantId' | 'criterionId' | 'optionId'>,
  ): Promise<void>;

  /** The record frozen at finalizing, or null to drop it (the board was reopened). */
  putRecord(boardId: string, record: StoredRecord | null): Promise<void>;
  getRecord(boardId: string): Promise<StoredRecord | null>;

  /**
   * A 32-byte secret of this installation, created on first use and the same for every
   * process on the same storage (signatures of server-written document values, pseudonyms).
   */
  serverSecret(): Promise<Uint8Array>;

  /** Resolves when the storage can be read and written; rejects with the reason otherwise. */
  checkHealth(): Promise<void>;

  close(): Promise<void>;
}
