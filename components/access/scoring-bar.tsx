'use client';

import type { SessionState } from '@/lib/protocol';
import { useSecondsLeft } from '../use-seconds-left';

/**
 * Sticky at the bottom of the screen while this person scores: how many cells are scored,
 * the time left, "next unscored" (also the `n` key) and the switch between one criterion at
 * a time and the whole grid.
 */
export function ScoringBar({
  scored,
  total,
  session,
  oneAtATime,
  onToggleMode,
  onNextUnscored,
}: {
  scored: number;
  total: number;
  session: SessionState;
  oneAtATime: boolean;
  onToggleMode(): void;
  onNextUnscored(): void;
}) {
  const left = useSecondsLeft(session, 1000);
  const clock = left === null ? null : `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  const done = scored >= total;
  return (
    <div
      className="fixed inset-x-0 bottom-0 z-40 border-t border-slate-300 bg-white/95 px-3 py-2 shadow-[0_-2px_8px_rgba(0,0,0,0.08)] backdrop-blur"
      data-testid="scoring-bar"
    >
      <div className="mx-auto flex max-w-7xl items-center justify-between gap-2">
        <p className="text-lg font-bold tabular-nums" data-testid="scoring-progress">
          <span className="sr-only">Scored </span>
          {scored}/{total}
          {clock !== null && (
            <>
              {' · '}
              <span className="sr-only">time left </span>
              {clock}
            </>
          )}
        </p>
        <div className="flex gap-2">
          <button
            type="button"
            onClick={onToggleMode}
            className="min-h-11 rounded-lg px-3 text-sm font-semibold ring-1 ring-slate-300 hover:bg-slate-100"
          >
            {oneAtATime ? 'Show all' : 'One at a time'}
          </button>
          <button
            type="button"
            onClick={onNextUnscored}
            disabled={done}
            aria-keyshortcuts="n"
            className="min-h-11 rounded-lg bg-blue-700 px-4 font-semibold text-white hover:bg-blue-800 disabled:bg-emerald-700"
          >
            {done ? 'All scored ✓' : 'Next unscored (n)'}
          </button>
        </div>
      </div>
    </div>
  );
}
