'use client';

import { startTransition, useEffect, useMemo, useRef, useState } from 'react';
import type * as Y from 'yjs';
import { readBoard } from '@/lib/board-schema';
import type { BoardSnapshot } from '@/lib/board-types';
import { share } from '@/lib/structural-share';

/**
 * The board as plain data, re-read whenever the document changes. What did not change keeps
 * its identity from the last read (structural sharing), so memoized parts of the page — a
 * criterion's cells and evidence on a 40 × 12 board — skip re-rendering on others' edits.
 */
export function useBoardSnapshot(doc: Y.Doc): BoardSnapshot {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    // A transition: re-reading and re-rendering the board for others' edits yields to this
    // person's input (React renders urgent updates first and the transition in slices).
    const bump = () => startTransition(() => setVersion((v) => v + 1));
    doc.on('update', bump);
    return () => doc.off('update', bump);
  }, [doc]);
  const last = useRef<BoardSnapshot | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version is the change signal
  return useMemo(() => {
    const next = share(last.current, readBoard(doc));
    last.current = next;
    return next;
  }, [doc, version]);
}
