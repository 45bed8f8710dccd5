'use client';

import { memo, useEffect, useId, useState } from 'react';
import { LIMITS } from '@/lib/limits';
import { ABSTAIN } from '@/lib/protocol-constants';

/** A cell's ballot: a score, an abstention ("don't know"), or nothing yet. */
export type CellValue = number | typeof ABSTAIN | null;

export interface ScoreCellProps {
  scale: { min: number; max: number };
  value: CellValue;
  /** Carried over from the previous round and not yet changed or kept. */
  carried?: boolean;
  rationale: string;
  criterionId: string;
  optionId: string;
  criterionName: string;
  optionName: string;
  /** The value waits in this device's outbox: not on the server yet. */
  queued?: boolean;
  /**
   * Resolves true once the server acknowledged (committed) the ballot. One function for every
   * cell (it is told which), so that a cell re-renders only when its own ballot changes.
   */
  onCast: (criterionId: string, optionId: string, value: CellValue, rationale: string) => Promise<boolean>;
}

/**
 * One score: a radio group (arrow keys move between values, as native radios do) with
 * big touch targets, and an optional one-line rationale committed on Enter or blur.
 * Memoized: a 40 × 12 board has 480 of them, and others' edits must not re-render them all.
 */
export const ScoreCell = memo(function ScoreCell({
  scale,
  value,
  carried = false,
  rationale,
  criterionId,
  optionId,
  criterionName,
  optionName,
  queued = false,
  onCast,
}: ScoreCellProps) {
  const name = useId();
  const [pending, setPending] = useState<CellValue | undefined>(undefined);
  const [draft, setDraft] = useState(rationale);
  useEffect(() => setDraft(rationale), [rationale]);
  const shown = pending === undefined ? value : pending;
  const values = Array.from({ length: scale.max - scale.min + 1 }, (_, i) => scale.min + i);

  // The new session state arrives as a transition (it may render after the acknowledgement):
  // the choice stays shown until the state has it, or the server refused it.
  useEffect(() => {
    if (pending !== undefined && value === pending) setPending(undefined);
  }, [value, pending]);
  async function cast(v: CellValue, why: string) {
    setPending(v);
    const ok = await onCast(criterionId, optionId, v, why);
    if (!ok) setPending((p) => (p === v ? undefined : p));
  }

  return (
    <fieldset
      className={`min-w-0 space-y-1 ${carried ? 'rounded-md outline-2 outline-dashed outline-amber-400 outline-offset-2' : ''}`}
      data-testid="score-cell"
      data-carried={carried ? 'true' : undefined}
    >
      <legend className="sr-only">
        Your score for {optionName} on {criterionName}, {scale.min} (poor) to {scale.max} (excellent)
        {carried ? ', carried over from the last round' : ''}
      </legend>
      {carried && (
        <p className="text-xs font-semibold text-amber-800" aria-hidden>
          From last round — change it or keep it
        </p>
      )}
      {/* 1–5 and "?" fit one row of six; 0–10 and "?" two. */}
      <div className="grid grid-cols-6 gap-1">
        {values.map((v) => (
          <label key={v} className="relative min-w-0">
            <input
              type="radio"
              name={name}
              value={v}
              checked={shown === v}
              onChange={() => void cast(v, draft)}
              className="peer sr-only"
              aria-label={`${v}${v === scale.min ? ' (poor)' : v === scale.max ? ' (excellent)' : ''}`}
            />
            <span className="flex h-11 min-w-0 cursor-pointer items-center justify-center rounded-md border border-slate-300 bg-white text-lg font-semibold peer-checked:border-blue-700 peer-checked:bg-blue-700 peer-checked:text-white peer-focus-visible:outline peer-focus-visible:outline-3 peer-focus-visible:outline-blue-500 hover:border-blue-400">
              {v}
            </span>
          </label>
        ))}
        <label className="relative min-w-0">
          <input
            type="radio"
            name={name}
            value={ABSTAIN}
            checked={shown === ABSTAIN}
            onChange={() => void cast(ABSTAIN, draft)}
            className="peer sr-only"
            aria-label="Don't know (abstain: counts as done, left out of the statistics)"
          />
          <span
            className="flex h-10 min-w-0 cursor-pointer items-center justify-center rounded-md border border-dashed border-slate-400 bg-white text-lg font-semibold text-slate-600 peer-checked:border-slate-700 peer-checked:bg-slate-700 peer-checked:text-white peer-focus-visible:outline peer-focus-visible:outline-3 peer-focus-visible:outline-blue-500 hover:border-blue-400"
            title="Don't know: abstain on this cell"
          >
            ?
          </span>
        </label>
      </div>
      <div className="flex justify-between text-[11px] text-slate-600" aria-hidden>
        <span>poor</span>
        <span>excellent · ? don’t know</span>
      </div>
      <div className="flex items-center gap-1">
        <input
          value={draft}
          maxLength={LIMITS.MAX_RATIONALE_CHARS}
          disabled={shown === null}
          placeholder={shown === null ? 'Score first' : 'Why? (optional)'}
          aria-label={`Rationale for ${optionName} on ${criterionName}`}
          onChange={(e) => setDraft(e.target.value.replace(/[\r\n]/g, ' '))}
          onBlur={() => {
            if (shown !== null && draft.trim() !== rationale) void cast(shown, draft.trim());
          }}
          onKeyDown={(e) => {
            // Enter commits the rationale and leaves the focus here (a blur dropped it to the page).
            if (e.key === 'Enter' && shown !== null && draft.trim() !== rationale) {
              e.preventDefault();
              void cast(shown, draft.trim());
            }
          }}
          className="min-w-0 flex-1 rounded-md border border-slate-300 px-2 py-1 text-sm disabled:bg-slate-100"
        />
        {shown !== null && (
          <button
            type="button"
            className="rounded px-1 text-sm text-slate-500 hover:text-red-700"
            aria-label={`Clear your score for ${optionName} on ${criterionName}`}
            onClick={() => void cast(null, '')}
          >
            ✕
          </button>
        )}
      </div>
      {queued && (
        <p className="text-xs font-semibold text-amber-900" data-testid="score-queued">
          Kept on this device: sent when you reconnect
        </p>
      )}
    </fieldset>
  );
});
