import type { BoardRow } from './types';

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
