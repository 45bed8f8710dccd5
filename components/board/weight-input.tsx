'use client';

import { LIMITS } from '@/lib/limits';

/** A weight with −/+ buttons (big touch targets) and a number field for the keyboard. */
export function WeightInput({
  value,
  share,
  criterionName,
  onChange,
  readOnly,
}: {
  value: number;
  share: number;
  criterionName: string;
  onChange: (weight: number) => void;
  readOnly: boolean;
}) {
  const pct = `${Math.round(share * 100)}%`;
  if (readOnly) {
    return (
      <div className="text-center">
        <div className="text-xl font-semibold">{value}</div>
        <div className="text-xs text-slate-600">{pct} of total</div>
      </div>
    );
  }
  const btn =
    'h-9 w-9 rounded-md border border-slate-300 bg-white text-lg font-bold hover:bg-slate-100 disabled:opacity-40';
  return (
    <div className="flex flex-col items-center gap-1">
      {/* The grid's "Weight" column header is hidden on phones: say it here. */}
      <div className="text-xs font-semibold uppercase tracking-wide text-slate-700 md:hidden" aria-hidden>
        Weight
      </div>
      <div className="flex items-center gap-1">
        <button
          type="button"
          className={btn}
          aria-label={`Decrease weight of ${criterionName}`}
          disabled={value <= LIMITS.MIN_WEIGHT}
          onClick={() => onChange(value - 1)}
        >
          −
        </button>
        <input
          type="number"
          inputMode="numeric"
          min={LIMITS.MIN_WEIGHT}
          max={LIMITS.MAX_WEIGHT}
          value={value}
          aria-label={`Weight of ${criterionName}`}
          onChange={(e) => {
            const n = Number(e.target.value);
            if (e.target.value !== '' && Number.isFinite(n)) onChange(n);
          }}
          className="h-9 w-14 rounded-md border border-slate-300 text-center text-lg font-semibold"
        />
        <button
          type="button"
          className={btn}
          aria-label={`Increase weight of ${criterionName}`}
          disabled={value >= LIMITS.MAX_WEIGHT}
          onClick={() => onChange(value + 1)}
        >
          +
        </button>
      </div>
      <div className="text-xs text-slate-600">{pct} of total</div>
    </div>
  );
}
