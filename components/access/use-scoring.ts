'use client';

import { useCallback, useEffect, useMemo, useState } from 'react';
import type { BoardSnapshot } from '@/lib/board-types';
import type { RoundView } from '@/lib/protocol';
import { announce } from './announce';
import { type CellRef, cellKey, cellsInOrder, focusCell, isTyping, nextUnscored } from './scoring-progress';
import type { QueuedBallot } from './use-ballot-outbox';

/**
 * This person's scoring of the open round: what is scored (the server's answer, or what waits
 * in the outbox), one-criterion-at-a-time mode, and "next unscored" — by button and by the
 * `n` key anywhere but in a text field.
 */
export function useScoring(board: BoardSnapshot, round: RoundView | null, queue: QueuedBallot[]) {
  const cells = useMemo(() => cellsInOrder(board), [board]);
  const scored = useMemo(() => {
    const keys = new Set<string>();
    if (!round) return keys;
    for (const m of round.mine) keys.add(cellKey(m));
    for (const q of queue) {
      if (q.roundId !== round.id) continue;
      if (q.value === null) keys.delete(cellKey(q));
      else keys.add(cellKey(q));
    }
    return keys;
  }, [round, queue]);
  const total = cells.length;
  const count = cells.filter((c) => scored.has(cellKey(c))).length;

  const [oneAtATime, setOneAtATime] = useState(false);
  const [index, setIndex] = useState(0);
  const [pendingFocus, setPendingFocus] = useState<CellRef | null>(null);
  // Focus after the criterion it belongs to is on screen.
  useEffect(() => {
    if (pendingFocus && focusCell(pendingFocus)) setPendingFocus(null);
  }, [pendingFocus]);

  const goNextUnscored = useCallback(() => {
    const active = document.activeElement?.closest('[data-cell]')?.getAttribute('data-cell');
    const from = cells.find((c) => cellKey(c) === active) ?? null;
    const next = nextUnscored(cells, scored, from);
    if (!next) {
      announce(`All ${total} scored.`);
      return;
    }
    const i = board.criteria.findIndex((c) => c.id === next.criterionId);
    if (i >= 0) setIndex(i);
    setPendingFocus({ ...next });
  }, [cells, scored, total, board.criteria]);

  const active = round !== null;
  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'n' || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      e.preventDefault();
      goNextUnscored();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active, goNextUnscored]);

  return {
    count,
    total,
    oneAtATime,
    toggleMode: () => {
      setOneAtATime(!oneAtATime);
      // Into one-at-a-time: straight to the first cell still to score, on screen.
      if (!oneAtATime) goNextUnscored();
    },
    index: Math.min(index, Math.max(0, board.criteria.length - 1)),
    setIndex,
    goNextUnscored,
  };
}
