import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  type BoardRow,
  type BoardSettings,
  type BoardStore,
  DEFAULT_SETTINGS,
  type ParticipantRow,
  type RoundRow,
  type ScoreRow,
  type StoredDocument,
} from './types';

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so every
 * method has committed by the time it returns; the Promise wrapper keeps the port uniform
 * with networked stores.
 *
 * synchronous=NORMAL in WAL mode survives a killed process (kill -9): a committed
 * transaction is in the WAL file before the call returns. It may lose the last
 * transactions on power loss; set SQLITE_SYNCHRONOUS=FULL for that.
 */
export class SqliteStore implements BoardStore {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(file: string, options: { synchronous?: 'NORMAL' | 'FULL' } = {}) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.stmts = {
      insertBoard: this.db.prepare(
        'INSERT INTO boards (id, facilitator_key_hash, viewer_key_hash, viewer_key, template_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      getBoard: this.db.prepare('SELECT * FROM boards WHERE id = ?'),
      boardByViewer: this.db.prepare('SELECT * FROM boards WHERE viewer_key_hash = ?'),
      getSnapshot: this.db.prepare('SELECT data FROM doc_snapshots WHERE board_id = ?'),
      getUpdates: this.db.prepare('SELECT seq, data FROM doc_updates WHERE board_id = ? ORDER BY seq'),
      insertUpdate: this.db.prepare('INSERT INTO doc_updates (board_id, data) VALUES (?, ?)'),
      upsertSnapshot: this.db.prepare(
        'INSERT INTO doc_snapshots (board_id, data) VALUES (?, ?) ON CONFLICT (board_id) DO UPDATE SET data = excluded.data',
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
        'INSERT INTO rounds (id, board_id, number, mode, started_at, revealed_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      revealRound: this.db.prepare('UPDATE rounds SET revealed_at = ? WHERE board_id = ? AND id = ?'),
      listScores: this.db.prepare('SELECT * FROM scores WHERE board_id = ?'),
      upsertScore: this.db.prepare(
        `INSERT INTO scores (board_id, round_id, participant_id, criterion_id, option_id, value, rationale, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (board_id, round_id, participant_id, criterion_id, option_id)
         DO UPDATE SET value = excluded.value, rationale = excluded.rationale, updated_at = excluded.updated_at`,
      ),
      deleteScore: this.db.prepare(
        'DELETE FROM scores WHERE board_id = ? AND round_id = ? AND participant_id = ? AND criterion_id = ? AND option_id = ?',
      ),
    };
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

  async createBoard(board: BoardRow, initialUpdate: Uint8Array): Promise<void> {
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
      const rows = this.stmts.getUpdates.all(boardId) as { seq: number; data: Buffer }[];
      let storedBytes = snap ? snap.data.byteLength : 0;
      for (const r of rows) storedBytes += r.data.byteLength;
      return {
        snapshot: snap ? new Uint8Array(snap.data) : null,
        updates: rows.map((r) => new Uint8Array(r.data)),
        lastSeq: rows.length ? (rows[rows.length - 1]?.seq ?? 0) : 0,
        storedBytes,
      };
    })();
  }

  async appendUpdate(boardId: string, update: Uint8Array): Promise<number> {
    return Number(this.stmts.insertUpdate.run(boardId, update).lastInsertRowid);
  }

  async compact(boardId: string, snapshot: Uint8Array, uptoSeq: number): Promise<void> {
    this.db.transaction(() => {
      this.stmts.upsertSnapshot.run(boardId, snapshot);
      this.stmts.deleteUpdatesUpTo.run(boardId, uptoSeq);
    })();
  }

  async addParticipant(p: ParticipantRow): Promise<void> {
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
    this.stmts.renameParticipant.run(name, boardId, id);
  }

  async setSpectator(boardId: string, id: string, spectator: boolean): Promise<void> {
    this.stmts.setSpectator.run(spectator ? 1 : 0, boardId, id);
  }

  async removeParticipant(boardId: string, id: string): Promise<void> {
    this.stmts.removeParticipant.run(boardId, id);
  }

  async getSettings(boardId: string): Promise<BoardSettings> {
    const row = this.stmts.getSettings.get(boardId) as { data: string } | undefined;
    return row
      ? { ...DEFAULT_SETTINGS, ...(JSON.parse(row.data) as Partial<BoardSettings>) }
      : { ...DEFAULT_SETTINGS };
  }

  async updateSettings(boardId: string, patch: Partial<BoardSettings>): Promise<void> {
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
    }));
  }

  async createRound(r: RoundRow): Promise<void> {
    this.stmts.insertRound.run(r.id, r.boardId, r.number, r.mode, r.startedAt, r.revealedAt);
  }

  async revealRound(boardId: string, roundId: string, revealedAt: string): Promise<void> {
    this.stmts.revealRound.run(revealedAt, boardId, roundId);
  }

  async listScores(boardId: string): Promise<ScoreRow[]> {
    return (this.stmts.listScores.all(boardId) as ScoreDbRow[]).map((r) => ({
      boardId: r.board_id,
      roundId: r.round_id,
      participantId: r.participant_id,
      criterionId: r.criterion_id,
      optionId: r.option_id,
      value: r.value,
      rationale: r.rationale,
      updatedAt: r.updated_at,
    }));
  }

  async upsertScore(s: ScoreRow): Promise<void> {
    this.stmts.upsertScore.run(
      s.boardId,
      s.roundId,
      s.participantId,
      s.criterionId,
      s.optionId,
      s.value,
      s.rationale,
      s.updatedAt,
    );
  }

  async deleteScore(
    k: Pick<ScoreRow, 'boardId' | 'roundId' | 'participantId' | 'criterionId' | 'optionId'>,
  ): Promise<void> {
    this.stmts.deleteScore.run(k.boardId, k.roundId, k.participantId, k.criterionId, k.optionId);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

interface BoardDbRow {
  id: string;
  facilitator_key_hash: string;
  viewer_key_hash: string;
  viewer_key: string;
  template_id: string;
  created_at: string;
}

function toBoard(row: unknown): BoardRow | null {
  if (!row) return null;
  const r = row as BoardDbRow;
  return {
    id: r.id,
    facilitatorKeyHash: r.facilitator_key_hash,
    viewerKeyHash: r.viewer_key_hash,
    viewerKey: r.viewer_key,
    templateId: r.template_id,
    createdAt: r.created_at,
  };
}

interface ParticipantDbRow {
  id: string;
  board_id: string;
  name: string;
  token_hash: string;
  created_at: string;
  spectator: number;
  removed: number;
}

interface RoundDbRow {
  id: string;
  board_id: string;
  number: number;
  mode: string;
  started_at: string;
  revealed_at: string | null;
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
}

function toParticipant(row: unknown): ParticipantRow | null {
  if (!row) return null;
  const r = row as ParticipantDbRow;
  return {
    id: r.id,
    boardId: r.board_id,
    name: r.name,
    tokenHash: r.token_hash,
    createdAt: r.created_at,
    spectator: r.spectator === 1,
    removed: r.removed === 1,
  };
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

/** Schema migrations in order; the schema version of a file is how many have run. */
const MIGRATIONS: readonly string[] = [SCHEMA_V1];
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;
