'use client';

import type { BoardSnapshot } from '@/lib/board-types';
import type { ConsensusResult } from '@/lib/consensus-types';
import { fmt, OPTION_COLORS } from './agreement';

/**
 * The options side by side: a bar per option for each criterion (mean score) and for the
 * weighted totals. HTML bars sized in percent, so the chart fits any width — a phone's
 * included — without scrolling; each bar carries its value in text, so it reads as a list.
 */
export function OptionsChart({
  board,
  result,
  scale,
}: {
  board: BoardSnapshot;
  result: ConsensusResult;
  scale: { min: number; max: number };
}) {
  const rows = [
    ...board.criteria.map((c) => ({ key: c.id, label: c.name || 'Unnamed criterion', total: false })),
    { key: '__total', label: 'Weighted total', total: true },
  ];
  const share = (v: number) => Math.max(0, Math.min(1, (v - scale.min) / (scale.max - scale.min)));
  const value = (rowKey: string, optionId: string): number | null => {
    if (rowKey === '__total') return result.totals.find((t) => t.optionId === optionId)?.total ?? null;
    return result.cells.find((c) => c.criterionId === rowKey && c.optionId === optionId)?.mean ?? null;
  };

  return (
    <figure className="min-w-0 space-y-2 [overflow-wrap:anywhere]" data-testid="options-chart">
      <figcaption className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
        <span className="font-semibold">Options compared across the criteria</span>
        {board.options.map((o, i) => (
          <span key={o.id} className="inline-flex items-center gap-1.5">
            <span
              aria-hidden
              className="inline-block h-3 w-3 rounded-sm"
              style={{ background: OPTION_COLORS[i % OPTION_COLORS.length] }}
            />
            {o.name || 'Unnamed option'}
          </span>
        ))}
        <span className="text-slate-600">
          mean score per criterion ({scale.min}–{scale.max}), and the weighted total
        </span>
      </figcaption>
      <ul className="space-y-2">
        {rows.map((row) => (
          <li key={row.key} className={row.total ? 'rounded-md bg-slate-100 p-2' : ''}>
            <div className={`text-sm ${row.total ? 'font-bold' : ''}`}>{row.label}</div>
            <ul className="space-y-0.5">
              {board.options.map((o, oi) => {
                const v = value(row.key, o.id);
                return (
                  <li key={o.id} className="flex items-center gap-2 text-xs">
                    <span className="sr-only">{o.name || 'Unnamed option'}: </span>
                    <span className="relative h-3 flex-1 rounded-sm bg-slate-100" aria-hidden>
                      {v !== null && (
                        <span
                          className="absolute inset-y-0 left-0 rounded-sm"
                          style={{
                            width: `${Math.max(1, share(v) * 100)}%`,
                            background: OPTION_COLORS[oi % OPTION_COLORS.length],
                          }}
                        />
                      )}
                    </span>
                    <span className="w-16 shrink-0 tabular-nums text-slate-700">
                      {v !== null ? fmt(v, 2) : 'no scores'}
                    </span>
                  </li>
                );
              })}
            </ul>
          </li>
        ))}
      </ul>
    </figure>
  );
}
