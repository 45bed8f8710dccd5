import type { BoardRow, ParticipantRow } from './types';

/** A `boards` row as both stores' drivers return it (the columns are the same in both). */
interface BoardDbRow {
  id: string;
  facilitator_key_hash: string;
  viewer_key_hash: string;
  viewer_key: string;
  template_id: string;
  created_at: string;
}

export function toBoard(row: unknown): BoardRow | null {
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

/** A `participants` row: SQLite stores the flags as 0/1, Postgres as booleans. */
interface ParticipantDbRow {
  id: string;
  board_id: string;
  name: string;
  token_hash: string;
  created_at: string;
  spectator: boolean | number;
  removed: boolean | number;
}

export function toParticipant(row: unknown): ParticipantRow | null {
  if (!row) return null;
  const r = row as ParticipantDbRow;
  return {
    id: r.id,
    boardId: r.board_id,
    name: r.name,
    tokenHash: r.token_hash,
    createdAt: r.created_at,
    spectator: r.spectator === true || r.spectator === 1,
    removed: r.removed === true || r.removed === 1,
  };
}
