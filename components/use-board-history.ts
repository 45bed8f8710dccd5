'use client';

import { useEffect, useMemo, useState } from 'react';
import type * as Y from 'yjs';
import {
  type HistoryEntry,
  type RemovedCriterion,
  readHistory,
  readRemovedCriteria,
} from '@/lib/board-history';

/**
 * The board's stored "who changed what" and its restorable criteria (lib/board-history.ts),
 * re-read whenever the document changes. Written by the server, so every page shows the same,
 * after a reload and to people who join later.
 */
export function useBoardHistory(doc: Y.Doc): { history: HistoryEntry[]; removed: RemovedCriterion[] } {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    doc.on('update', bump);
    return () => doc.off('update', bump);
  }, [doc]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version is the change signal
  return useMemo(() => ({ history: readHistory(doc), removed: readRemovedCriteria(doc) }), [doc, version]);
}
