import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { toBoard, toParticipant } from './board-row';
import {
  type BoardRow,
  type BoardSettings,
  type BoardStore,
  DEFAULT_SETTINGS,
  type DocClientOwner,
  type DocUpdate,
  type ParticipantRow,
  type RoundRow,
  type ScoreRow,
  type SessionChanges,
  type StoredDocument,
  type StoredRecord,
} from './types';

/** The database file was removed or replaced under the running server: nothing can be saved. */
export class StorageLostError extends Error {}

/** SQLite errors that say the storage itself is broken (not a refused row). */
const BROKEN_STORAGE = /^SQLITE_(CORRUPT|NOTADB|IOERR|FULL|READONLY|CANTOPEN|PROTOCOL)/;
/** How long a storage failure keeps the health check failing after it was seen. */
export const STORAGE_FAILURE_MEMORY_MS = 60_000;

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so every
 * method has committed by the time it returns, except appends: those made in the same
 * microtask drain (rooms committing in one event-loop turn) share one transaction, committed
 * at the end of it or before any other call, and each resolves once it is committed. The
 * Promise wrapper keeps the port uniform with networked stores.
 *
 * synchronous=NORMAL in WAL mode survives a killed process (kill -9): a committed
 * transaction is in the WAL file before the call returns. It may lose the last
 * transactions on power loss; set SQLITE_SYNCHRONOUS=FULL for that.
 */
/**
 * WAL checkpoints: SQLite's automatic checkpoint runs inside whichever commit crosses its
 * threshold, and copies pages and fsyncs there, synchronously, stalling every relay waiting on
 * the event loop. It is off; instead a checkpoint runs once the store has been quiet (no write)
 * for CHECKPOINT_QUIET_MS, and, to keep the WAL bounded on a server that is never quiet, before
 * a write when CHECKPOINT_AFTER_WRITES writes came since the last one.
 */
export const CHECKPOINT_QUIET_MS = 200;
export const CHECKPOINT_AFTER_WRITES = 2000;
/** The WAL file is cut back to this after a checkpoint (PRAGMA journal_size_limit). */
export const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

export class SqliteStore implements BoardStore {
  private writesSinceCheckpoint = 0;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private readonly db: Database.Database;
  private readonly stmts;
  /** Transaction functions for appends, built once (better-sqlite3 builds one per `transaction` call). */
  private readonly appendTx: (boardId: string, updates: Uint8Array[], owners: DocClientOwner[]) => number;
  private readonly appendAllTx: (queued: QueuedAppend[]) => number[];
  private readonly checkpointStmt: Database.Statement;
  /** The file's identity when opened: a write to a deleted or replaced file would be lost. */
  private readonly fileId: { dev: number; ino: number };
  private secret: Uint8Array | null = null;
  /**
   * Session versions per board, in memory: one process owns a SQLite store (the data-directory
   * lock), so a version only has to change within this store's life.
   */
  private readonly sessionVersions = new Map<string, number>();
  /** The last failure that showed the storage broken, for the health check. */
  private lastFailure: { at: number; message: string } | null = null;

  constructor(
    private readonly file: string,
    options: { synchronous?: 'NORMAL' | 'FULL' } = {},
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('wal_autocheckpoint = 0');
    this.db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    this.migrate();
    const st = fs.statSync(file);
    this.fileId = { dev: st.dev, ino: st.ino };
    this.watchFailures();
    this.stmts = {
      insertBoard: this.db.prepare(
        'INSERT INTO boards (id, facilitator_key_hash, viewer_key_hash, viewer_key, template_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      getBoard: this.db.prepare('SELECT * FROM boards WHERE id = ?'),
      boardByViewer: this.db.prepare('SELECT * FROM boards WHERE viewer_key_hash = ?'),
      getSnapshot: this.db.prepare('SELECT data FROM doc_snapshots WHERE board_id = ?'),
      // Plucked: one Buffer per row, not one object per row (a board may hold thousands).
      getUpdates: this.db.prepare('SELECT data FROM doc_updates WHERE board_id = ? ORDER BY seq').pluck(),
      lastUpdateSeq: this.db.prepare('SELECT max(seq) FROM doc_updates WHERE board_id = ?').pluck(),
      insertUpdate: this.db.prepare('INSERT INTO doc_updates (board_id, data) VALUES (?, ?)'),
      upsertSnapshot: this.db.prepare(
        'INSERT INTO doc_snapshots (board_id, data, upto_seq) VALUES (?, ?, ?) ON CONFLICT (board_id) DO UPDATE SET data = excluded.data, upto_seq = excluded.upto_seq',
      ),
      documentVersion: this.db.prepare(
        'SELECT max(v) AS v FROM (SELECT max(seq) AS v FROM doc_updates WHERE board_id = ? UNION ALL SELECT upto_seq AS v FROM doc_snapshots WHERE board_id = ?)',
      ),
      insertOwner: this.db.prepare(
        'INSERT OR IGNORE INTO doc_clients (board_id, client_id, owner) VALUES (?, ?, ?)',
      ),
      listOwners: this.db.prepare('SELECT client_id, owner FROM doc_clients WHERE board_id = ?'),
      putRecord: this.db.prepare(
        'INSERT INTO board_records (board_id, markdown, file_name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (board_id) DO UPDATE SET markdown = excluded.markdown, file_name = excluded.file_name, created_at = excluded.created_at',
      ),
      deleteRecord: this.db.prepare('DELETE FROM board_records WHERE board_id = ?'),
      getRecord: this.db.prepare(
        'SELECT markdown, file_name, created_at FROM board_records WHERE board_id = ?',
      ),
      getMeta: this.db.prepare('SELECT value FROM server_meta WHERE key = ?'),
      insertMeta: this.db.prepare('INSERT OR IGNORE INTO server_meta (key, value) VALUES (?, ?)'),
      getSnapshotSeq: this.db.prepare('SELECT upto_seq FROM doc_snapshots WHERE board_id = ?').pluck(),
      getUpdatesSince: this.db.prepare(
        'SELECT seq, data FROM doc_updates WHERE board_id = ? AND seq > ? ORDER BY seq',
      ),
      deleteUpdatesUpTo: this.db.prepare('DELETE FROM doc_updates WHERE board_id = ? AND seq <= ?'),
      insertParticipant: this.db.prepare(
        'INSERT INTO participants (id, board_id, name, token_hash, created_at, spectator, removed) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      getParticipant: this.db.prepare('SELECT * FROM participants WHERE board_id = ? AND id = ?'),
      listParticipants: this.db.prepare(
        'SELECT * FROM participants WHERE board_id = ? ORDER BY created_at, id',
      ),
      renameParticipant: this.db.prepare('UPDATE participants SET name = ? WHERE board_id = ? AND id = ?'),
      setSpectator: this.db.prepare('UPDATE participants SET spectator = ? WHERE board_id = ? AND id = ?'),
      removeParticipant: this.db.prepare('UPDATE participants SET removed = 1 WHERE board_id = ? AND id = ?'),
      getSettings: this.db.prepare('SELECT data FROM board_settings WHERE board_id = ?'),
      putSettings: this.db.prepare(
        'INSERT INTO board_settings (board_id, data) VALUES (?, ?) ON CONFLICT (board_id) DO UPDATE SET data = excluded.data',
      ),
      listRounds: this.db.prepare('SELECT * FROM rounds WHERE board_id = ? ORDER BY number'),
      insertRound: this.db.prepare(
        'INSERT INTO rounds (id, board_id, number, mode, started_at, revealed_at, anonymous) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      revealRound: this.db.prepare('UPDATE rounds SET revealed_at = ? WHERE board_id = ? AND id = ?'),
      listScores: this.db.prepare('SELECT * FROM scores WHERE board_id = ?'),
      upsertScore: this.db.prepare(
        `INSERT INTO scores (board_id, round_id, participant_id, criterion_id, option_id, value, rationale, updated_at, abstain, carried)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (board_id, round_id, participant_id, criterion_id, option_id)
         DO UPDATE SET value = excluded.value, rationale = excluded.rationale, updated_at = excluded.updated_at,
           abstain = excluded.abstain, carried = excluded.carried`,
      ),
      deleteScore: this.db.prepare(
        'DELETE FROM scores WHERE board_id = ? AND round_id = ? AND participant_id = ? AND criterion_id = ? AND option_id = ?',
      ),
    };
    const { insertUpdate, insertOwner } = this.stmts;
    const append = (boardId: string, updates: Uint8Array[], owners: DocClientOwner[]): number => {
      let seq = 0;
      for (const u of updates) seq = Number(insertUpdate.run(boardId, u).lastInsertRowid);
      for (const o of owners) insertOwner.run(boardId, o.clientId, o.owner);
      return seq;
    };
    this.appendTx = this.db.transaction(append);
    this.appendAllTx = this.db.transaction((queued: QueuedAppend[]) =>
      queued.map((a) => append(a.boardId, a.updates, a.owners)),
    );
    this.checkpointStmt = this.db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  }

  /**
   * Schema migrations, applied in order and recorded in PRAGMA user_version. Append an
   * entry for every schema change; never edit one that has been released.
   */
  private migrate(): void {
    const migrations = MIGRATIONS;
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < migrations.length; v++) {
      this.db.transaction(() => {
        this.db.exec(migrations[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  /**
   * Throws when the file this store opened is gone or replaced: SQLite would go on writing
   * to the unlinked file, and everything acknowledged from then on would be lost on restart.
   */
  private assertIntact(): void {
    // Every write calls this first: it is also where writes are counted for checkpoints.
    this.noteWrite();
    let st: fs.Stats;
    try {
      st = fs.statSync(this.file);
    } catch {
      throw new StorageLostError(`the database file ${this.file} is missing`);
    }
    if (st.dev !== this.fileId.dev || st.ino !== this.fileId.ino) {
      throw new StorageLostError(`the database file ${this.file} was replaced`);
    }
  }

  async createBoard(board: BoardRow, initialUpdate: Uint8Array): Promise<void> {
    this.assertIntact();
    this.db.transaction(() => {
      this.stmts.insertBoard.run(
        board.id,
        board.facilitatorKeyHash,
        board.viewerKeyHash,
        board.viewerKey,
        board.templateId,
        board.createdAt,
      );
      this.stmts.insertUpdate.run(board.id, initialUpdate);
    })();
  }

  async getBoard(id: string): Promise<BoardRow | null> {
    return toBoard(this.stmts.getBoard.get(id));
  }

  async findBoardByViewerKeyHash(hash: string): Promise<BoardRow | null> {
    return toBoard(this.stmts.boardByViewer.get(hash));
  }

  async loadDocument(boardId: string): Promise<StoredDocument> {
    // One read transaction so a concurrent compaction cannot be seen half-done.
    return this.db.transaction(() => {
      const snap = this.stmts.getSnapshot.get(boardId) as { data: Buffer } | undefined;
      const rows = this.stmts.getUpdates.all(boardId) as Buffer[];
      const lastSeq = (this.stmts.lastUpdateSeq.get(boardId) as number | null) ?? 0;
      let storedBytes = snap ? snap.data.byteLength : 0;
      const updates: Uint8Array[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as Buffer;
        storedBytes += r.byteLength;
        // A plain Uint8Array view of the row's own Buffer: no copy (each row has its own memory).
        updates[i] = new Uint8Array(r.buffer, r.byteOffset, r.byteLength);
      }
      return {
        snapshot: snap ? new Uint8Array(snap.data) : null,
        updates,
        lastSeq,
        storedBytes,
      };
    })();
  }

  async appendUpdate(boardId: string, update: Uint8Array): Promise<number> {
    return this.appendUpdates(boardId, [update]);
  }

  /**
   * Queued, and committed at the end of the current microtask drain together with every other
   * board's append made in it: one transaction (one WAL write) for all the rooms that commit
   * in the same event-loop turn (they await the same turn: see board-room.ts). Each caller is
   * answered once that transaction committed; when it fails, nothing of it is stored, and each
   * append is tried again alone, so that one board's failure is not the others'.
   */
  async appendUpdates(
    boardId: string,
    updates: Uint8Array[],
    owners: DocClientOwner[] = [],
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.appendQueue.push({ boardId, updates, owners, resolve, reject });
      if (this.appendQueue.length === 1) queueMicrotask(this.flushAppends);
    });
  }

  private appendQueue: QueuedAppend[] = [];

  private readonly flushAppends = (): void => {
    const queued = this.appendQueue;
    if (queued.length === 0) return;
    this.appendQueue = [];
    try {
      this.assertIntact();
      const seqs = this.appendAllTx(queued);
      for (let i = 0; i < queued.length; i++) queued[i]!.resolve(seqs[i]!);
      return;
    } catch (err) {
      if (queued.length === 1 || err instanceof StorageLostError) {
        for (const a of queued) a.reject(err);
        return;
      }
    }
    for (const a of queued) {
      try {
        a.resolve(this.appendTx(a.boardId, a.updates, a.owners));
      } catch (err) {
        a.reject(err);
      }
    }
  };

  async compact(boardId: string, snapshot: Uint8Array, uptoSeq: number): Promise<void> {
    this.assertIntact();
    this.db.transaction(() => {
      const folded = (this.stmts.getSnapshotSeq.get(boardId) as number | undefined) ?? 0;
      // An older snapshot than the stored one would lose what the stored one folded.
      if (folded >= uptoSeq) return;
      this.stmts.upsertSnapshot.run(boardId, snapshot, uptoSeq);
      this.stmts.deleteUpdatesUpTo.run(boardId, uptoSeq);
    })();
  }

  async loadUpdatesSince(boardId: string, afterSeq: number): Promise<DocUpdate[] | null> {
    return this.db.transaction(() => {
      const folded = (this.stmts.getSnapshotSeq.get(boardId) as number | undefined) ?? 0;
      if (folded > afterSeq) return null;
      return (this.stmts.getUpdatesSince.all(boardId, afterSeq) as { seq: number; data: Buffer }[]).map(
        (r) => ({ seq: r.seq, update: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength) }),
      );
    })();
  }

  async sessionVersion(boardId: string): Promise<number> {
    return this.sessionVersions.get(boardId) ?? 0;
  }

  /** One process per store: its session is never behind, so there is nothing to catch up. */
  async sessionChangesSince(_boardId: string, _sinceVersion: number): Promise<SessionChanges | null> {
    return null;
  }

  /** Counts a session write of the board (see sessionVersion). */
  private sessionChanged(boardId: string): void {
    this.sessionVersions.set(boardId, (this.sessionVersions.get(boardId) ?? 0) + 1);
  }

  /** One process per store: its own per-board queue already serializes commands. */
  async withBoardLock<T>(_boardId: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async documentVersion(boardId: string): Promise<number> {
    const row = this.stmts.documentVersion.get(boardId, boardId) as { v: number | null } | undefined;
    return row?.v ?? 0;
  }

  async listDocClients(boardId: string): Promise<DocClientOwner[]> {
    return (this.stmts.listOwners.all(boardId) as { client_id: number; owner: string }[]).map((r) => ({
      clientId: r.client_id,
      owner: r.owner,
    }));
  }

  async putRecord(boardId: string, record: StoredRecord | null): Promise<void> {
    this.assertIntact();
    this.sessionChanged(boardId);
    if (record) this.stmts.putRecord.run(boardId, record.markdown, record.fileName, record.createdAt);
    else this.stmts.deleteRecord.run(boardId);
  }

  async getRecord(boardId: string): Promise<StoredRecord | null> {
    const row = this.stmts.getRecord.get(boardId) as
      | { markdown: string; file_name: string; created_at: string }
      | undefined;
    return row ? { markdown: row.markdown, fileName: row.file_name, createdAt: row.created_at } : null;
  }

  async serverSecret(): Promise<Uint8Array> {
    if (this.secret) return this.secret;
    const secret = this.db.transaction(() => {
      this.stmts.insertMeta.run('server-secret', randomBytes(32));
      return (this.stmts.getMeta.get('server-secret') as { value: Buffer }).value;
    })();
    this.secret = new Uint8Array(secret);
    return this.secret;
  }

  /**
   * Fails while the file is missing or replaced, cannot be read or locked for writing, or
   * when any call saw the storage broken (corrupt, full, read-only, I/O error) in the last
   * STORAGE_FAILURE_MEMORY_MS: a probe of a few pages cannot see every corrupt page.
   */
  async checkHealth(): Promise<void> {
    this.assertIntact();
    this.db.prepare('SELECT count(*) FROM sqlite_master').get();
    // Takes (and gives back) the write lock: a read-only or locked file fails here.
    this.db.exec('BEGIN IMMEDIATE');
    this.db.exec('ROLLBACK');
    if (this.lastFailure && Date.now() - this.lastFailure.at < STORAGE_FAILURE_MEMORY_MS) {
      throw new Error(`storage failed recently: ${this.lastFailure.message}`);
    }
  }

  /**
   * Wraps every port method so a failure that shows broken storage is remembered, and so that
   * every call but an append first commits the appends queued before it: the store behaves
   * as if each call ran when it was made (see appendUpdates).
   */
  private watchFailures(): void {
    const proto = SqliteStore.prototype as unknown as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(SqliteStore.prototype)) {
      const method = proto[name];
      if (name === 'constructor' || name === 'checkHealth' || typeof method !== 'function') continue;
      if (
        name.startsWith('assert') ||
        name === 'migrate' ||
        name === 'watchFailures' ||
        name === 'writeScore' ||
        name === 'sessionChanged'
      )
        continue;
      const self = this as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const queues = name === 'appendUpdates' || name === 'appendUpdate';
      const internal = name === 'noteWrite' || name === 'checkpoint';
      self[name] = async (...args: unknown[]) => {
        try {
          if (!queues && !internal && this.appendQueue.length > 0) this.flushAppends();
          return await (method as (...a: unknown[]) => Promise<unknown>).apply(this, args);
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          if (err instanceof StorageLostError || (typeof code === 'string' && BROKEN_STORAGE.test(code))) {
            this.lastFailure = { at: Date.now(), message: err instanceof Error ? err.message : String(err) };
          }
          throw err;
        }
      };
    }
  }

  async addParticipant(p: ParticipantRow): Promise<void> {
    this.assertIntact();
    this.sessionChanged(p.boardId);
    this.stmts.insertParticipant.run(
      p.id,
      p.boardId,
      p.name,
      p.tokenHash,
      p.createdAt,
      p.spectator ? 1 : 0,
      p.removed ? 1 : 0,
    );
  }

  async getParticipant(boardId: string, id: string): Promise<ParticipantRow | null> {
    return toParticipant(this.stmts.getParticipant.get(boardId, id));
  }

  async listParticipants(boardId: string): Promise<ParticipantRow[]> {
    return (this.stmts.listParticipants.all(boardId) as unknown[]).map((r) => toParticipant(r)!);
  }

  async renameParticipant(boardId: string, id: string, name: string): Promise<void> {
    this.assertIntact();
    this.sessionChanged(boardId);
    this.stmts.renameParticipant.run(name, boardId, id);
  }

  async setSpectator(boardId: string, id: string, spectator: boolean): Promise<void> {
    this.assertIntact();
    this.sessionChanged(boardId);
    this.stmts.setSpectator.run(spectator ? 1 : 0, boardId, id);
  }

  async removeParticipant(boardId: string, id: string): Promise<void> {
    this.assertIntact();
    this.sessionChanged(boardId);
    this.stmts.removeParticipant.run(boardId, id);
  }

  async getSettings(boardId: string): Promise<BoardSettings> {
    const row = this.stmts.getSettings.get(boardId) as { data: string } | undefined;
    return row
      ? { ...DEFAULT_SETTINGS, ...(JSON.parse(row.data) as Partial<BoardSettings>) }
      : { ...DEFAULT_SETTINGS };
  }

  async updateSettings(boardId: string, patch: Partial<BoardSettings>): Promise<void> {
    this.assertIntact();
    this.sessionChanged(boardId);
    this.db.transaction(() => {
      const row = this.stmts.getSettings.get(boardId) as { data: string } | undefined;
      const current = row ? (JSON.parse(row.data) as Partial<BoardSettings>) : {};
      this.stmts.putSettings.run(boardId, JSON.stringify({ ...DEFAULT_SETTINGS, ...current, ...patch }));
    })();
  }

  async listRounds(boardId: string): Promise<RoundRow[]> {
    return (this.stmts.listRounds.all(boardId) as RoundDbRow[]).map((r) => ({
      id: r.id,
      boardId: r.board_id,
      number: r.number,
      mode: r.mode === 'open' ? 'open' : 'blind',
      startedAt: r.started_at,
      revealedAt: r.revealed_at,
      anonymous: r.anonymous === 1,
    }));
  }

  async createRound(r: RoundRow): Promise<void> {
    this.assertIntact();
    this.sessionChanged(r.boardId);
    this.stmts.insertRound.run(
      r.id,
      r.boardId,
      r.number,
      r.mode,
      r.startedAt,
      r.revealedAt,
      r.anonymous ? 1 : 0,
    );
  }

  async revealRound(boardId: string, roundId: string, revealedAt: string): Promise<void> {
    this.assertIntact();
    this.sessionChanged(boardId);
    this.stmts.revealRound.run(revealedAt, boardId, roundId);
  }

  async listScores(boardId: string): Promise<ScoreRow[]> {
    return (this.stmts.listScores.all(boardId) as ScoreDbRow[]).map((r) => ({
      boardId: r.board_id,
      roundId: r.round_id,
      participantId: r.participant_id,
      criterionId: r.criterion_id,
      optionId: r.option_id,
      value: r.abstain ? null : r.value,
      rationale: r.rationale,
      updatedAt: r.updated_at,
      carried: r.carried === 1,
    }));
  }

  async upsertScore(s: ScoreRow): Promise<void> {
    this.assertIntact();
    this.sessionChanged(s.boardId);
    this.writeScore(s);
  }

  async upsertScores(scores: ScoreRow[]): Promise<void> {
    this.assertIntact();
    for (const boardId of new Set(scores.map((x) => x.boardId))) this.sessionChanged(boardId);
    this.db.transaction(() => {
      for (const s of scores) this.writeScore(s);
    })();
  }

  /** An abstention is stored as value 0 with `abstain` set (the column predates abstaining). */
  private writeScore(s: ScoreRow): void {
    this.stmts.upsertScore.run(
      s.boardId,
      s.roundId,
      s.participantId,
      s.criterionId,
      s.optionId,
      s.value ?? 0,
      s.rationale,
      s.updatedAt,
      s.value === null ? 1 : 0,
      s.carried ? 1 : 0,
    );
  }

  async deleteScore(
    k: Pick<ScoreRow, 'boardId' | 'roundId' | 'participantId' | 'criterionId' | 'optionId'>,
  ): Promise<void> {
    this.assertIntact();
    this.sessionChanged(k.boardId);
    this.stmts.deleteScore.run(k.boardId, k.roundId, k.participantId, k.criterionId, k.optionId);
  }

  /** Counts a write; schedules the quiet-moment checkpoint, or runs one when the WAL is long. */
  private noteWrite(): void {
    // The bound: before this write, everything before it committed. Rare by construction: a
    // server that has a quiet moment every CHECKPOINT_AFTER_WRITES writes never gets here.
    if (this.writesSinceCheckpoint >= CHECKPOINT_AFTER_WRITES) this.checkpoint();
    this.writesSinceCheckpoint++;
    if (this.checkpointTimer) this.checkpointTimer.refresh();
    else {
      this.checkpointTimer = setTimeout(() => {
        this.checkpointTimer = null;
        this.checkpoint();
      }, CHECKPOINT_QUIET_MS);
      this.checkpointTimer.unref();
    }
  }

  /**
   * Copies the WAL into the database file (PASSIVE: never waits for readers). Its failure is
   * no data loss (the WAL keeps everything); it is logged by the next write's failure, if any.
   */
  checkpoint(): void {
    if (this.writesSinceCheckpoint === 0 || !this.db.open) return;
    this.writesSinceCheckpoint = 0;
    try {
      this.checkpointStmt.run();
    } catch {
      // Retried after the next writes.
    }
  }

  async close(): Promise<void> {
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    this.checkpointTimer = null;
    if (this.db.open) this.db.close();
  }
}

/** An append waiting for the end of the microtask drain (see SqliteStore.appendUpdates). */
interface QueuedAppend {
  boardId: string;
  updates: Uint8Array[];
  owners: DocClientOwner[];
  resolve(seq: number): void;
  reject(err: unknown): void;
}

interface RoundDbRow {
  id: string;
  board_id: string;
  number: number;
  mode: string;
  started_at: string;
  revealed_at: string | null;
  anonymous: number;
}

interface ScoreDbRow {
  board_id: string;
  round_id: string;
  participant_id: string;
  criterion_id: string;
  option_id: string;
  value: number;
  rationale: string;
  updated_at: string;
  abstain: number;
  carried: number;
}

const SCHEMA_V1 = `
      CREATE TABLE boards (
        id TEXT PRIMARY KEY,
        facilitator_key_hash TEXT NOT NULL,
        viewer_key_hash TEXT NOT NULL UNIQUE,
        viewer_key TEXT NOT NULL,
        template_id TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE doc_snapshots (
        board_id TEXT PRIMARY KEY REFERENCES boards(id),
        data BLOB NOT NULL
      );
      CREATE TABLE doc_updates (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        board_id TEXT NOT NULL REFERENCES boards(id),
        data BLOB NOT NULL
      );
      CREATE INDEX doc_updates_board ON doc_updates (board_id, seq);
      CREATE TABLE participants (
        id TEXT NOT NULL,
        board_id TEXT NOT NULL REFERENCES boards(id),
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        spectator INTEGER NOT NULL DEFAULT 0,
        removed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (board_id, id)
      );
      CREATE TABLE board_settings (
        board_id TEXT PRIMARY KEY REFERENCES boards(id),
        data TEXT NOT NULL
      );
      CREATE TABLE rounds (
        id TEXT NOT NULL,
        board_id TEXT NOT NULL REFERENCES boards(id),
        number INTEGER NOT NULL,
        mode TEXT NOT NULL,
        started_at TEXT NOT NULL,
        revealed_at TEXT,
        PRIMARY KEY (board_id, id),
        UNIQUE (board_id, number)
      );
      CREATE TABLE scores (
        board_id TEXT NOT NULL REFERENCES boards(id),
        round_id TEXT NOT NULL,
        participant_id TEXT NOT NULL,
        criterion_id TEXT NOT NULL,
        option_id TEXT NOT NULL,
        value INTEGER NOT NULL,
        rationale TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (board_id, round_id, participant_id, criterion_id, option_id)
      );
    `;

/**
 * v2: Yjs client id owners, the record frozen at finalizing, the installation secret, the
 * snapshot's sequence number (document versions), and anonymity kept per round. Rounds
 * revealed on a board that was anonymous stay anonymous.
 */
const SCHEMA_V2 = `
      ALTER TABLE rounds ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0;
      UPDATE rounds SET anonymous = 1 WHERE board_id IN
        (SELECT board_id FROM board_settings WHERE json_extract(data, '$.anonymous') = 1);
      ALTER TABLE doc_snapshots ADD COLUMN upto_seq INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE doc_clients (
        board_id TEXT NOT NULL REFERENCES boards(id),
        client_id INTEGER NOT NULL,
        owner TEXT NOT NULL,
        PRIMARY KEY (board_id, client_id)
      );
      CREATE TABLE board_records (
        board_id TEXT PRIMARY KEY REFERENCES boards(id),
        markdown TEXT NOT NULL,
        file_name TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE server_meta (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL
      );
    `;

/**
 * v3: abstentions ("don't know" on a cell) and scores carried over from the previous round.
 */
const SCHEMA_V3 = `
      ALTER TABLE scores ADD COLUMN abstain INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE scores ADD COLUMN carried INTEGER NOT NULL DEFAULT 0;
    `;

/** Schema migrations in order; the schema version of a file is how many have run. */
const MIGRATIONS: readonly string[] = [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3];
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;
