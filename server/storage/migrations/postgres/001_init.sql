-- The Postgres schema of the storage port (server/storage/types.ts). Applied once, in one
-- transaction, by server/storage/postgres-store.ts; never edit a released migration, add one.

CREATE TABLE boards (
  id TEXT PRIMARY KEY,
  facilitator_key_hash TEXT NOT NULL,
  viewer_key_hash TEXT NOT NULL UNIQUE,
  viewer_key TEXT NOT NULL,
  template_id TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- One row per board: the last document sequence number handed out (gapless, per board: every
-- append updates this row in its own transaction, so appends of one board queue on its lock)
-- and the session version, bumped by every session write (a process whose in-memory session
-- was built at an older version reloads it).
CREATE TABLE board_heads (
  board_id TEXT PRIMARY KEY REFERENCES boards(id),
  last_seq BIGINT NOT NULL DEFAULT 0,
  session_version BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE doc_snapshots (
  board_id TEXT PRIMARY KEY REFERENCES boards(id),
  data BYTEA NOT NULL,
  upto_seq BIGINT NOT NULL
);

CREATE TABLE doc_updates (
  board_id TEXT NOT NULL REFERENCES boards(id),
  seq BIGINT NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (board_id, seq)
);

CREATE TABLE doc_clients (
  board_id TEXT NOT NULL REFERENCES boards(id),
  client_id BIGINT NOT NULL,
  owner TEXT NOT NULL,
  PRIMARY KEY (board_id, client_id)
);

CREATE TABLE participants (
  id TEXT NOT NULL,
  board_id TEXT NOT NULL REFERENCES boards(id),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  spectator BOOLEAN NOT NULL DEFAULT false,
  removed BOOLEAN NOT NULL DEFAULT false,
  PRIMARY KEY (board_id, id)
);

CREATE TABLE board_settings (
  board_id TEXT PRIMARY KEY REFERENCES boards(id),
  data JSONB NOT NULL
);

CREATE TABLE rounds (
  id TEXT NOT NULL,
  board_id TEXT NOT NULL REFERENCES boards(id),
  number INTEGER NOT NULL,
  mode TEXT NOT NULL,
  started_at TEXT NOT NULL,
  revealed_at TEXT,
  anonymous BOOLEAN NOT NULL DEFAULT false,
  PRIMARY KEY (board_id, id),
  UNIQUE (board_id, number)
);

CREATE TABLE scores (
  board_id TEXT NOT NULL REFERENCES boards(id),
  round_id TEXT NOT NULL,
  participant_id TEXT NOT NULL,
  criterion_id TEXT NOT NULL,
  option_id TEXT NOT NULL,
  -- NULL: the participant abstained ("don't know") on this cell.
  value INTEGER,
  rationale TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  carried BOOLEAN NOT NULL DEFAULT false,
  PRIMARY KEY (board_id, round_id, participant_id, criterion_id, option_id)
);

CREATE TABLE board_records (
  board_id TEXT PRIMARY KEY REFERENCES boards(id),
  markdown TEXT NOT NULL,
  file_name TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE server_meta (
  key TEXT PRIMARY KEY,
  value BYTEA NOT NULL
);
