import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BoardRow, BoardStore, ParticipantRow, StoredDocument } from './types';

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
        'INSERT INTO boards (id, facilitator_key_hash, viewer_key_hash, template_id, created_at) VALUES (?, ?, ?, ?, ?)',
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
        'INSERT INTO participants (id, board_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      getParticipant: this.db.prepare('SELECT * FROM participants WHERE board_id = ? AND id = ?'),
      listParticipants: this.db.prepare(
        'SELECT * FROM participants WHERE board_id = ? ORDER BY created_at, id',
      ),
      renameParticipant: this.db.prepare('UPDATE participants SET name = ? WHERE board_id = ? AND id = ?'),
    };
  }

  private migrate(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS boards (
        id TEXT PRIMARY KEY,
        facilitator_key_hash TEXT NOT NULL,
        viewer_key_hash TEXT NOT NULL UNIQUE,
        template_id TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS doc_snapshots (
        board_id TEXT PRIMARY KEY REFERENCES boards(id),
        data BLOB NOT NULL
      );
      CREATE TABLE IF NOT EXISTS doc_updates (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        board_id TEXT NOT NULL REFERENCES boards(id),
        data BLOB NOT NULL
      );
      CREATE INDEX IF NOT EXISTS doc_updates_board ON doc_updates (board_id, seq);
      CREATE TABLE IF NOT EXISTS participants (
        id TEXT NOT NULL,
        board_id TEXT NOT NULL REFERENCES boards(id),
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (board_id, id)
      );
    `);
  }

  async createBoard(board: BoardRow, initialUpdate: Uint8Array): Promise<void> {
    this.db.transaction(() => {
      this.stmts.insertBoard.run(
        board.id,
        board.facilitatorKeyHash,
        board.viewerKeyHash,
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
    this.stmts.insertParticipant.run(p.id, p.boardId, p.name, p.tokenHash, p.createdAt);
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

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

interface BoardDbRow {
  id: string;
  facilitator_key_hash: string;
  viewer_key_hash: string;
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
}

function toParticipant(row: unknown): ParticipantRow | null {
  if (!row) return null;
  const r = row as ParticipantDbRow;
  return { id: r.id, boardId: r.board_id, name: r.name, tokenHash: r.token_hash, createdAt: r.created_at };
}
