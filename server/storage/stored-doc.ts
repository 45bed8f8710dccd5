import * as Y from 'yjs';
import type { StoredDocument } from './types';

/**
 * Applies what is stored (snapshot, then the updates after it) to `doc` in one transaction.
 * Deliberately not `Y.mergeUpdates`: merging 10,000 small updates takes seconds, applying
 * them in one transaction takes tens of milliseconds.
 */
export function applyStored(doc: Y.Doc, stored: StoredDocument, origin: unknown = null): void {
  doc.transact(() => {
    if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot, origin);
    for (const update of stored.updates) Y.applyUpdate(doc, update, origin);
  }, origin);
}

/** A fresh Y.Doc holding what is stored. The caller destroys it. */
export function docFromStored(stored: StoredDocument): Y.Doc {
  const doc = new Y.Doc();
  applyStored(doc, stored);
  return doc;
}
