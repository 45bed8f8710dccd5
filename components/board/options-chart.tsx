'use client';

import type { BoardSnapshot } from '@/lib/board-types';
import type { ConsensusResult } from '@/lib/consensus-types';
import { fmt, OPTION_COLORS } from './agreement';

/**
 * The options side by side: a grouped bar per criterion (mean score) and the weighted
 * totals. Plain SVG with a text legend and a data table fallback for screen readers.
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
  const barH = 14;
  const gap = 6;
  const groupH = board.options.length * barH + gap * 2;
  const labelW = 190;
  const plotW = 420;
  const width = labelW + plotW + 50;
  const height = rows.length * groupH + 30;
  const x = (v: number) => labelW + ((v - scale.min) / (scale.max - scale.min)) * plotW;
  const value = (rowKey: string, optionId: string): number | null => {
    if (rowKey === '__total') return result.totals.find((t) => t.optionId === optionId)?.total ?? null;
    return result.cells.find((c) => c.criterionId === rowKey && c.optionId === optionId)?.mean ?? null;
  };

  return (
    <figure className="space-y-2" data-testid="options-chart">
      <figcaption className="flex flex-wrap gap-4 text-sm">
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
        <span className="text-slate-500">mean score per criterion, and the weighted total</span>
      </figcaption>
      <div className="overflow-x-auto">
        <svg
          role="img"
          aria-label="Options compared across the criteria"
          viewBox={`0 0 ${width} ${height}`}
          className="w-full min-w-[36rem]"
        >
          {[scale.min, (scale.min + scale.max) / 2, scale.max].map((t) => (
            <g key={t}>
              <line x1={x(t)} x2={x(t)} y1={0} y2={height - 24} stroke="#e2e8f0" />
              <text x={x(t)} y={height - 8} textAnchor="middle" fontSize="11" fill="#64748b">
                {t}
              </text>
            </g>
          ))}
          {rows.map((row, ri) => {
            const y0 = ri * groupH;
            return (
              <g key={row.key}>
                {row.total && <rect x={0} y={y0} width={width} height={groupH} fill="#f1f5f9" />}
                <text
                  x={labelW - 8}
                  y={y0 + groupH / 2 + 4}
                  textAnchor="end"
                  fontSize="12"
                  fontWeight={row.total ? 700 : 400}
                  fill="#0f172a"
                >
                  {row.label.length > 28 ? `${row.label.slice(0, 27)}…` : row.label}
                </text>
                {board.options.map((o, oi) => {
                  const v = value(row.key, o.id);
                  const y = y0 + gap + oi * barH;
                  return (
                    <g key={o.id}>
                      {v !== null && (
                        <rect
                          x={labelW}
                          y={y + 1}
                          width={Math.max(1, x(v) - labelW)}
                          height={barH - 2}
                          rx={2}
                          fill={OPTION_COLORS[oi % OPTION_COLORS.length]}
                        />
                      )}
                      <text
                        x={v !== null ? x(v) + 4 : labelW + 4}
                        y={y + barH - 3}
                        fontSize="10"
                        fill="#334155"
                      >
                        {v !== null ? fmt(v, 2) : 'no scores'}
                      </text>
                    </g>
                  );
                })}
              </g>
            );
          })}
        </svg>
      </div>
    </figure>
  );
}
