'use client';

import type { ReactNode } from 'react';
import type { BoardSnapshot } from '@/lib/board-types';

/** One criterion at a time, for scoring on a phone: its options' scores, big, and previous/next. */
export function ScoringFocus({
  board,
  index,
  onIndex,
  renderCell,
}: {
  board: BoardSnapshot;
  index: number;
  onIndex(index: number): void;
  renderCell: (criterionId: string, optionId: string) => ReactNode;
}) {
  const criterion = board.criteria[index];
  if (!criterion) return null;
  const nav =
    'min-h-11 flex-1 rounded-lg px-3 font-semibold ring-1 ring-slate-300 hover:bg-slate-100 disabled:opacity-40';
  return (
    <section
      aria-labelledby="focus-heading"
      className="space-y-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
      data-testid="scoring-focus"
    >
      <p className="text-sm font-semibold text-slate-700">
        Criterion {index + 1} of {board.criteria.length} · weight {criterion.weight}
      </p>
      <h2 id="focus-heading" className="text-2xl font-bold">
        {criterion.name || 'Unnamed criterion'}
      </h2>
      {criterion.description && <p className="text-slate-700">{criterion.description}</p>}
      <div className="space-y-3">
        {board.options.map((o) => (
          <div
            key={o.id}
            className="rounded-lg bg-slate-50 p-2"
            data-testid={`focus-cell-${criterion.id}-${o.id}`}
          >
            <h3 className="mb-1 font-semibold">{o.name || 'Unnamed option'}</h3>
            {renderCell(criterion.id, o.id)}
          </div>
        ))}
      </div>
      <div className="flex gap-2">
        <button type="button" className={nav} disabled={index === 0} onClick={() => onIndex(index - 1)}>
          ← Previous criterion
        </button>
        <button
          type="button"
          className={nav}
          disabled={index >= board.criteria.length - 1}
          onClick={() => onIndex(index + 1)}
        >
          Next criterion →
        </button>
      </div>
    </section>
  );
}
