import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
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

/** The numbered SQL migrations, read at run time next to this module (works under tsx). */
export const POSTGRES_MIGRATIONS_DIR = path.join(import.meta.dirname, 'migrations', 'postgres');

/**
 * Advisory lock classes (the first key of `pg_advisory_*lock(int, int)`); the second key is a
 * hash of the board id. Two boards sharing a hash only wait for each other, nothing more.
 */
const LOCK_MIGRATIONS = 0x6462_0000; // with second key 0
const LOCK_COMPACT = 0x6462_0001;
const LOCK_BOARD_COMMANDS = 0x6462_0002;

export interface PostgresStoreOptions {
  /** postgres://user@host:port/database */
  connectionString: string;
  /**
   * Schema to work in (search_path of every connection); tests give each suite its own.
   * Default: the server's default search_path (usually `public`).
   */
  schema?: string;
  /** Connections for queries (default 10). */
  poolSize?: number;
  /**
   * Connections that hold board command locks (default 10): separate from the query pool, so
   * commands holding locks can always run their queries.
   */
  lockPoolSize?: number;
  /** How long a command waits for its board's lock before failing (default 15 s). */
  lockTimeoutMs?: number;
}

type Queryable = pg.Pool | pg.PoolClient;

/** bytea comes back as a Buffer; the port speaks plain Uint8Arrays (no copy). */
const bytesOf = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const bufferOf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
/** BIGINT comes back as a string; sequence numbers stay far below 2^53. */
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** A schema name safe to splice into SQL (tests make their own). */
function checkedSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  return schema;
}

/**
 * The store for several server processes: every method runs in its own transaction and
 * resolves only after COMMIT. Document sequence numbers are per board and gapless (the
 * board's `board_heads` row hands them out inside the append's transaction); compaction of a
 * board holds an advisory transaction lock and never folds back past a newer snapshot; session
 * writes bump the board's session version in the same transaction; `withBoardLock` holds a
 * session-level advisory lock on a dedicated connection while a command runs.
 */
export class PostgresStore implements BoardStore {
  private readonly pool: pg.Pool;
  private readonly lockPool: pg.Pool;
  private secret: Uint8Array | null = null;
  private closed = false;

  private constructor(options: PostgresStoreOptions) {
    const searchPath = options.schema ? `-c search_path=${checkedSchema(options.schema)}` : undefined;
    const base = {
      connectionString: options.connectionString,
      ...(searchPath ? { options: searchPath } : {}),
    };
    this.pool = new pg.Pool({ ...base, max: options.poolSize ?? 10 });
    this.lockPool = new pg.Pool({
      ...base,
      max: options.lockPoolSize ?? 10,
      // A command waits this long for its board; then it fails and changes nothing.
      options: [searchPath, `-c lock_timeout=${options.lockTimeoutMs ?? 15_000}`].filter(Boolean).join(' '),
    });
    // An idle connection that breaks (server restart) must not crash the process: the pool
    // drops it and the next query opens a new one.
    this.pool.on('error', () => {});
    this.lockPool.on('error', () => {});
  }

  /** Connects, applies pending migrations (one process at a time), and returns the store. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  /**
   * Applies the numbered SQL files of POSTGRES_MIGRATIONS_DIR not yet in `schema_migrations`,
   * in order, in one transaction holding an advisory lock: a second process starting at the
   * same moment waits, then finds them applied.
   */
  private async migrate(): Promise<void> {
    const files = fs
      .readdirSync(POSTGRES_MIGRATIONS_DIR)
      .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
      .sort();
    await this.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_MIGRATIONS]);
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      const applied = new Set(
        (await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      for (const file of files) {
        const version = Number(file.slice(0, 3));
        if (applied.has(version)) continue;
        await c.query(fs.readFileSync(path.join(POSTGRES_MIGRATIONS_DIR, file), 'utf8'));
        await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, file]);
      }
    });
  }

  /** The versions recorded in schema_migrations (for tests and operators). */
  async appliedMigrations(): Promise<number[]> {
    const r = await this.pool.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    return r.rows.map((x) => x.version);
  }

  /** Runs `fn` in one transaction on one connection; resolves after COMMIT. */
  private async transaction<T>(
    fn: (c: pg.PoolClient) => Promise<T>,
    mode: 'read write' | 'repeatable read' = 'read write',
  ): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query(mode === 'repeatable read' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
      try {
        const result = await fn(c);
        await c.query('COMMIT');
        return result;
      } catch (err) {
        await c.query('ROLLBACK').catch((e: unknown) => {
          broken = e instanceof Error ? e : new Error(String(e));
        });
        throw err;
      }
    } finally {
      c.release(broken);
    }
  }

  /**
   * A session write: the board's session version bumped, then `fn` with the new version (score
   * rows and deletions carry it: `sessionChangesSince`), in one transaction.
   */
  private sessionWrite(
    boardId: string,
    fn: (c: pg.PoolClient, sv: number) => Promise<unknown>,
  ): Promise<void> {
    return this.transaction(async (c) => {
      await fn(c, await bumpSessionVersion(c, boardId));
    });
  }

  // ---- boards and documents --------------------------------------------------------------

  async createBoard(board: BoardRow, initialUpdate: Uint8Array): Promise<void> {
    await this.transaction(async (c) => {
      await c.query(
        'INSERT INTO boards (id, facilitator_key_hash, viewer_key_hash, viewer_key, template_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [
          board.id,
          board.facilitatorKeyHash,
          board.viewerKeyHash,
          board.viewerKey,
          board.templateId,
          board.createdAt,
        ],
      );
      await c.query('INSERT INTO board_heads (board_id, last_seq) VALUES ($1, 1)', [board.id]);
      await c.query('INSERT INTO doc_updates (board_id, seq, data) VALUES ($1, 1, $2)', [
        board.id,
        bufferOf(initialUpdate),
      ]);
    });
  }

  async getBoard(id: string): Promise<BoardRow | null> {
    return toBoard((await this.pool.query('SELECT * FROM boards WHERE id = $1', [id])).rows[0]);
  }

  async findBoardByViewerKeyHash(hash: string): Promise<BoardRow | null> {
    return toBoard(
      (await this.pool.query('SELECT * FROM boards WHERE viewer_key_hash = $1', [hash])).rows[0],
    );
  }

  async loadDocument(boardId: string): Promise<StoredDocument> {
    // One snapshot of the database: a concurrent compaction is seen whole or not at all.
    return this.transaction(async (c) => {
      const snap = await c.query<{ data: Buffer }>('SELECT data FROM doc_snapshots WHERE board_id = $1', [
        boardId,
      ]);
      const rows = await c.query<{ seq: string; data: Buffer }>(
        'SELECT seq, data FROM doc_updates WHERE board_id = $1 ORDER BY seq',
        [boardId],
      );
      const snapshot = snap.rows[0] ? bytesOf(snap.rows[0].data) : null;
      let storedBytes = snapshot?.byteLength ?? 0;
      const updates = rows.rows.map((r) => {
        storedBytes += r.data.byteLength;
        return bytesOf(r.data);
      });
      const last = rows.rows[rows.rows.length - 1];
      return { snapshot, updates, lastSeq: last ? num(last.seq) : 0, storedBytes };
    }, 'repeatable read');
  }

  async appendUpdate(boardId: string, update: Uint8Array): Promise<number> {
    return this.appendUpdates(boardId, [update]);
  }

  async appendUpdates(
    boardId: string,
    updates: Uint8Array[],
    owners: DocClientOwner[] = [],
  ): Promise<number> {
    return this.transaction(async (c) => {
      // Takes the board's row lock until COMMIT: appends of one board, from any process, get
      // consecutive numbers in commit order.
      const head = await c.query<{ last_seq: string }>(
        'UPDATE board_heads SET last_seq = last_seq + $2 WHERE board_id = $1 RETURNING last_seq',
        [boardId, updates.length],
      );
      const row = head.rows[0];
      if (!row) throw new Error('no such board');
      const last = num(row.last_seq);
      if (updates.length > 0) {
        await c.query(
          'INSERT INTO doc_updates (board_id, seq, data) SELECT $1, $2::bigint + t.ord, t.data FROM unnest($3::bytea[]) WITH ORDINALITY AS t(data, ord)',
          [boardId, last - updates.length, updates.map(bufferOf)],
        );
      }
      if (owners.length > 0) {
        await c.query(
          'INSERT INTO doc_clients (board_id, client_id, owner) SELECT $1, t.client_id, t.owner FROM unnest($2::bigint[], $3::text[]) AS t(client_id, owner) ON CONFLICT DO NOTHING',
          [boardId, owners.map((o) => o.clientId), owners.map((o) => o.owner)],
        );
      }
      return last;
    });
  }

  async compact(boardId: string, snapshot: Uint8Array, uptoSeq: number): Promise<void> {
    await this.transaction(async (c) => {
      // One compaction of a board at a time, across processes.
      await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_COMPACT, boardId]);
      const folded = await c.query<{ upto_seq: string }>(
        'SELECT upto_seq FROM doc_snapshots WHERE board_id = $1',
        [boardId],
      );
      // Another process folded at least as much already: replacing its snapshot by this older
      // one would lose the updates only it had folded (they are deleted).
      if (folded.rows[0] && num(folded.rows[0].upto_seq) >= uptoSeq) return;
      await c.query(
        'INSERT INTO doc_snapshots (board_id, data, upto_seq) VALUES ($1, $2, $3) ON CONFLICT (board_id) DO UPDATE SET data = excluded.data, upto_seq = excluded.upto_seq',
        [boardId, bufferOf(snapshot), uptoSeq],
      );
      // Only what this snapshot folded.
      await c.query('DELETE FROM doc_updates WHERE board_id = $1 AND seq <= $2', [boardId, uptoSeq]);
    });
  }

  async loadUpdatesSince(boardId: string, afterSeq: number): Promise<DocUpdate[] | null> {
    return this.transaction(async (c) => {
      const folded = await c.query<{ upto_seq: string }>(
        'SELECT upto_seq FROM doc_snapshots WHERE board_id = $1',
        [boardId],
      );
      if (folded.rows[0] && num(folded.rows[0].upto_seq) > afterSeq) return null;
      const rows = await c.query<{ seq: string; data: Buffer }>(
        'SELECT seq, data FROM doc_updates WHERE board_id = $1 AND seq > $2 ORDER BY seq',
        [boardId, afterSeq],
      );
      return rows.rows.map((r) => ({ seq: num(r.seq), update: bytesOf(r.data) }));
    }, 'repeatable read');
  }

  async documentVersion(boardId: string): Promise<number> {
    const r = await this.pool.query<{ last_seq: string }>(
      'SELECT last_seq FROM board_heads WHERE board_id = $1',
      [boardId],
    );
    return num(r.rows[0]?.last_seq);
  }

  async listDocClients(boardId: string): Promise<DocClientOwner[]> {
    const r = await this.pool.query<{ client_id: string; owner: string }>(
      'SELECT client_id, owner FROM doc_clients WHERE board_id = $1',
      [boardId],
    );
    return r.rows.map((x) => ({ clientId: num(x.client_id), owner: x.owner }));
  }

  // ---- session ---------------------------------------------------------------------------

  async sessionVersion(boardId: string): Promise<number> {
    const r = await this.pool.query<{ session_version: string }>(
      'SELECT session_version FROM board_heads WHERE board_id = $1',
      [boardId],
    );
    return num(r.rows[0]?.session_version);
  }

  /**
   * Holds `pg_advisory_lock` on a dedicated connection while `fn` runs; unlocks in `finally`.
   * If this process dies the connection closes and Postgres releases the lock.
   */
  async withBoardLock<T>(boardId: string, fn: () => Promise<T>): Promise<T> {
    const c = await this.lockPool.connect();
    let locked = false;
    let broken: Error | undefined;
    try {
      await c.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_BOARD_COMMANDS, boardId]);
      locked = true;
      return await fn();
    } catch (err) {
      // The lock query failed (timeout, lost connection): do not reuse the connection.
      if (!locked) broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      if (locked) {
        await c
          .query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_BOARD_COMMANDS, boardId])
          .catch((e: unknown) => {
            // Not unlocked: the connection must not go back to the pool still holding the lock.
            broken = e instanceof Error ? e : new Error(String(e));
          });
      }
      c.release(broken);
    }
  }

  async addParticipant(p: ParticipantRow): Promise<void> {
    await this.sessionWrite(p.boardId, (c) =>
      c.query(
        'INSERT INTO participants (id, board_id, name, token_hash, created_at, spectator, removed) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [p.id, p.boardId, p.name, p.tokenHash, p.createdAt, p.spectator, p.removed],
      ),
    );
  }

  async getParticipant(boardId: string, id: string): Promise<ParticipantRow | null> {
    const r = await this.pool.query('SELECT * FROM participants WHERE board_id = $1 AND id = $2', [
      boardId,
      id,
    ]);
    return toParticipant(r.rows[0]);
  }

  async listParticipants(boardId: string): Promise<ParticipantRow[]> {
    const r = await this.pool.query(
      'SELECT * FROM participants WHERE board_id = $1 ORDER BY created_at, id',
      [boardId],
    );
    return r.rows.map((row) => toParticipant(row)!);
  }

  async renameParticipant(boardId: string, id: string, name: string): Promise<void> {
    await this.sessionWrite(boardId, (c) =>
      c.query('UPDATE participants SET name = $3 WHERE board_id = $1 AND id = $2', [boardId, id, name]),
    );
  }

  async setSpectator(boardId: string, id: string, spectator: boolean): Promise<void> {
    await this.sessionWrite(boardId, (c) =>
      c.query('UPDATE participants SET spectator = $3 WHERE board_id = $1 AND id = $2', [
        boardId,
        id,
        spectator,
      ]),
    );
  }

  async removeParticipant(boardId: string, id: string): Promise<void> {
    await this.sessionWrite(boardId, (c) =>
      c.query('UPDATE participants SET removed = true WHERE board_id = $1 AND id = $2', [boardId, id]),
    );
  }

  async getSettings(boardId: string): Promise<BoardSettings> {
    const r = await this.pool.query<{ data: Partial<BoardSettings> }>(
      'SELECT data FROM board_settings WHERE board_id = $1',
      [boardId],
    );
    return { ...DEFAULT_SETTINGS, ...(r.rows[0]?.data ?? {}) };
  }

  async updateSettings(boardId: string, patch: Partial<BoardSettings>): Promise<void> {
    await this.sessionWrite(boardId, async (c) => {
      const r = await c.query<{ data: Partial<BoardSettings> }>(
        'SELECT data FROM board_settings WHERE board_id = $1 FOR UPDATE',
        [boardId],
      );
      const merged = { ...DEFAULT_SETTINGS, ...(r.rows[0]?.data ?? {}), ...patch };
      await c.query(
        'INSERT INTO board_settings (board_id, data) VALUES ($1, $2) ON CONFLICT (board_id) DO UPDATE SET data = excluded.data',
        [boardId, JSON.stringify(merged)],
      );
    });
  }

  async listRounds(boardId: string): Promise<RoundRow[]> {
    const r = await this.pool.query<RoundDbRow>('SELECT * FROM rounds WHERE board_id = $1 ORDER BY number', [
      boardId,
    ]);
    return r.rows.map(toRound);
  }

  async createRound(r: RoundRow): Promise<void> {
    await this.sessionWrite(r.boardId, (c) =>
      c.query(
        'INSERT INTO rounds (id, board_id, number, mode, started_at, revealed_at, anonymous) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [r.id, r.boardId, r.number, r.mode, r.startedAt, r.revealedAt, r.anonymous],
      ),
    );
  }

  async revealRound(boardId: string, roundId: string, revealedAt: string): Promise<void> {
    await this.sessionWrite(boardId, (c) =>
      c.query('UPDATE rounds SET revealed_at = $3 WHERE board_id = $1 AND id = $2', [
        boardId,
        roundId,
        revealedAt,
      ]),
    );
  }

  async listScores(boardId: string): Promise<ScoreRow[]> {
    const r = await this.pool.query<ScoreDbRow>('SELECT * FROM scores WHERE board_id = $1', [boardId]);
    return r.rows.map(toScore);
  }

  async upsertScore(s: ScoreRow): Promise<void> {
    await this.sessionWrite(s.boardId, (c, sv) => writeScore(c, s, sv));
  }

  async upsertScores(scores: ScoreRow[]): Promise<void> {
    await this.transaction(async (c) => {
      const versions = new Map<string, number>();
      for (const boardId of new Set(scores.map((s) => s.boardId))) {
        versions.set(boardId, await bumpSessionVersion(c, boardId));
      }
      for (const s of scores) await writeScore(c, s, versions.get(s.boardId)!);
    });
  }

  async deleteScore(
    k: Pick<ScoreRow, 'boardId' | 'roundId' | 'participantId' | 'criterionId' | 'optionId'>,
  ): Promise<void> {
    await this.sessionWrite(k.boardId, async (c, sv) => {
      const key = [k.boardId, k.roundId, k.participantId, k.criterionId, k.optionId];
      await c.query(
        'DELETE FROM scores WHERE board_id = $1 AND round_id = $2 AND participant_id = $3 AND criterion_id = $4 AND option_id = $5',
        key,
      );
      // Other processes learn of the deletion from here (sessionChangesSince).
      await c.query(
        `INSERT INTO score_deletions (board_id, round_id, participant_id, criterion_id, option_id, sv)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (board_id, round_id, participant_id, criterion_id, option_id) DO UPDATE SET sv = excluded.sv`,
        [...key, sv],
      );
    });
  }

  async sessionChangesSince(boardId: string, sinceVersion: number): Promise<SessionChanges | null> {
    // One snapshot: the version and the rows agree (a write committing meanwhile is in neither).
    return this.transaction(async (c) => {
      const head = await c.query<{ session_version: string }>(
        'SELECT session_version FROM board_heads WHERE board_id = $1',
        [boardId],
      );
      if (head.rows.length === 0) return null;
      const settings = await c.query<{ data: Partial<BoardSettings> }>(
        'SELECT data FROM board_settings WHERE board_id = $1',
        [boardId],
      );
      const participants = await c.query(
        'SELECT * FROM participants WHERE board_id = $1 ORDER BY created_at, id',
        [boardId],
      );
      const rounds = await c.query<RoundDbRow>('SELECT * FROM rounds WHERE board_id = $1 ORDER BY number', [
        boardId,
      ]);
      const upserted = await c.query<ScoreDbRow>('SELECT * FROM scores WHERE board_id = $1 AND sv > $2', [
        boardId,
        sinceVersion,
      ]);
      const deleted = await c.query<{
        round_id: string;
        participant_id: string;
        criterion_id: string;
        option_id: string;
      }>(
        `SELECT d.round_id, d.participant_id, d.criterion_id, d.option_id FROM score_deletions d
         WHERE d.board_id = $1 AND d.sv > $2 AND NOT EXISTS (
           SELECT 1 FROM scores s WHERE s.board_id = d.board_id AND s.round_id = d.round_id
             AND s.participant_id = d.participant_id AND s.criterion_id = d.criterion_id
             AND s.option_id = d.option_id)`,
        [boardId, sinceVersion],
      );
      return {
        version: num(head.rows[0]?.session_version),
        settings: { ...DEFAULT_SETTINGS, ...(settings.rows[0]?.data ?? {}) },
        participants: participants.rows.map((row) => toParticipant(row)!),
        rounds: rounds.rows.map(toRound),
        upserted: upserted.rows.map(toScore),
        deleted: deleted.rows.map((d) => ({
          boardId,
          roundId: d.round_id,
          participantId: d.participant_id,
          criterionId: d.criterion_id,
          optionId: d.option_id,
        })),
      };
    }, 'repeatable read');
  }

  async putRecord(boardId: string, record: StoredRecord | null): Promise<void> {
    await this.sessionWrite(boardId, (c) =>
      record
        ? c.query(
            'INSERT INTO board_records (board_id, markdown, file_name, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (board_id) DO UPDATE SET markdown = excluded.markdown, file_name = excluded.file_name, created_at = excluded.created_at',
            [boardId, record.markdown, record.fileName, record.createdAt],
          )
        : c.query('DELETE FROM board_records WHERE board_id = $1', [boardId]),
    );
  }

  async getRecord(boardId: string): Promise<StoredRecord | null> {
    const r = await this.pool.query<{ markdown: string; file_name: string; created_at: string }>(
      'SELECT markdown, file_name, created_at FROM board_records WHERE board_id = $1',
      [boardId],
    );
    const row = r.rows[0];
    return row ? { markdown: row.markdown, fileName: row.file_name, createdAt: row.created_at } : null;
  }

  /** Insert-if-absent, then read: every process gets the secret the first one stored. */
  async serverSecret(): Promise<Uint8Array> {
    if (this.secret) return this.secret;
    await this.pool.query(
      "INSERT INTO server_meta (key, value) VALUES ('server-secret', $1) ON CONFLICT (key) DO NOTHING",
      [randomBytes(32)],
    );
    const r = await this.pool.query<{ value: Buffer }>(
      "SELECT value FROM server_meta WHERE key = 'server-secret'",
    );
    this.secret = new Uint8Array(r.rows[0]!.value);
    return this.secret;
  }

  /** Resolves when Postgres answers and accepts writes (not a read-only standby). */
  async checkHealth(): Promise<void> {
    const r = await this.pool.query<{ ro: string }>('SELECT current_setting($1) AS ro', [
      'transaction_read_only',
    ]);
    if (r.rows[0]?.ro !== 'off') throw new Error('the database is read-only');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.lockPool.end()]);
  }
}

/** Bumps a board's session version; resolves with the new one. */
async function bumpSessionVersion(c: Queryable, boardId: string): Promise<number> {
  const r = await c.query<{ session_version: string }>(
    'UPDATE board_heads SET session_version = session_version + 1 WHERE board_id = $1 RETURNING session_version',
    [boardId],
  );
  return num(r.rows[0]?.session_version);
}

function toRound(x: RoundDbRow): RoundRow {
  return {
    id: x.id,
    boardId: x.board_id,
    number: x.number,
    mode: x.mode === 'open' ? 'open' : 'blind',
    startedAt: x.started_at,
    revealedAt: x.revealed_at,
    anonymous: x.anonymous,
  };
}

function toScore(x: ScoreDbRow): ScoreRow {
  return {
    boardId: x.board_id,
    roundId: x.round_id,
    participantId: x.participant_id,
    criterionId: x.criterion_id,
    optionId: x.option_id,
    value: x.value,
    rationale: x.rationale,
    updatedAt: x.updated_at,
    carried: x.carried,
  };
}

/** Writes a score as set by the session write of version `sv`. */
function writeScore(c: Queryable, s: ScoreRow, sv: number): Promise<unknown> {
  return c.query(
    `INSERT INTO scores (board_id, round_id, participant_id, criterion_id, option_id, value, rationale, updated_at, carried, sv)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (board_id, round_id, participant_id, criterion_id, option_id)
     DO UPDATE SET value = excluded.value, rationale = excluded.rationale, updated_at = excluded.updated_at,
       carried = excluded.carried, sv = excluded.sv`,
    [
      s.boardId,
      s.roundId,
      s.participantId,
      s.criterionId,
      s.optionId,
      s.value,
      s.rationale,
      s.updatedAt,
      s.carried,
      sv,
    ],
  );
}

interface RoundDbRow {
  id: string;
  board_id: string;
  number: number;
  mode: string;
  started_at: string;
  revealed_at: string | null;
  anonymous: boolean;
}

interface ScoreDbRow {
  board_id: string;
  round_id: string;
  participant_id: string;
  criterion_id: string;
  option_id: string;
  value: number | null;
  rationale: string;
  updated_at: string;
  carried: boolean;
}
