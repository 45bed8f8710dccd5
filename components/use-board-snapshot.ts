'use client';

import { useEffect, useMemo, useState } from 'react';
import type * as Y from 'yjs';
import { readBoard } from '@/lib/board-schema';
import type { BoardSnapshot } from '@/lib/board-types';

/** The board as plain data, re-read whenever the document changes. */
export function useBoardSnapshot(doc: Y.Doc): BoardSnapshot {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    doc.on('update', bump);
    return () => doc.off('update', bump);
  }, [doc]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version is the change signal
  return useMemo(() => readBoard(doc), [doc, version]);
}
