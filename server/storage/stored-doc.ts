import * as Y from 'yjs';
import type { StoredDocument } from './types';

/** Folds a stored snapshot and its later updates into one update (empty when nothing is stored). */
export function mergeStored(stored: StoredDocument): Uint8Array | null {
  const parts = stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates;
  return parts.length ? Y.mergeUpdates(parts) : null;
}

/** A fresh Y.Doc holding what is stored. The caller destroys it. */
export function docFromStored(stored: StoredDocument): Y.Doc {
  const doc = new Y.Doc();
  const merged = mergeStored(stored);
  if (merged) Y.applyUpdate(doc, merged);
  return doc;
}
