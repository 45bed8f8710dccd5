'use client';

import { useState } from 'react';
import type { HistoryEntry, RemovedCriterion } from '@/lib/board-history';

/** Entries shown before "Show all". */
const SHOWN = 6;

/** One history entry in words, after the person's name. */
export function describeChange(e: HistoryEntry): string {
  const q = (s: string | number | undefined) => `“${s ?? ''}”`;
  switch (e.kind) {
    case 'option-added':
      return `added the option ${q(e.name)}`;
    case 'option-removed':
      return `removed the option ${q(e.name)}`;
    case 'option-renamed':
      return `renamed the option ${q(e.from)} to ${q(e.to)}`;
    case 'criterion-added':
      return `added the criterion ${q(e.name)}`;
    case 'criterion-removed':
      return `removed the criterion ${q(e.name)}`;
    case 'criterion-renamed':
      return `renamed the criterion ${q(e.from)} to ${q(e.to)}`;
    case 'criterion-restored':
      return `restored the criterion ${q(e.name)}`;
    case 'weight':
      return `set the weight of ${q(e.name)} from ${e.from ?? '?'} to ${e.to ?? '?'}`;
  }
}

const time = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
};

/**
 * "Who changed what" to the options, criteria and weights, newest first: the board's stored
 * history (the server writes it from each update's sender), the same for everyone and after a
 * reload. The facilitator also gets the criteria removed lately, each with "Restore".
 */
export function ChangeStrip({
  history,
  removed,
  myId,
  onRestore,
  restoreBlockedReason,
}: {
  history: HistoryEntry[];
  removed: RemovedCriterion[];
  /** This person's participant id: their own changes read "You". */
  myId: string | null;
  /** Facilitator only: restores a removed criterion. */
  onRestore?: ((criterionId: string) => void) | undefined;
  /** Why restoring is not possible now (a round is open), or null. */
  restoreBlockedReason?: string | null;
}) {
  const [all, setAll] = useState(false);
  const canRestore = onRestore !== undefined && removed.length > 0;
  if (history.length === 0 && !canRestore) return null;
  const newestFirst = [...history].reverse();
  const shown = all ? newestFirst : newestFirst.slice(0, SHOWN);
  return (
    <section aria-labelledby="changes-heading" className="space-y-2 text-sm" data-testid="changes">
      <h2 id="changes-heading" className="text-base font-bold">
        Recent changes to criteria, options and weights
      </h2>
      {history.length > 0 && (
        <ul className="flex flex-wrap gap-2" data-testid="change-strip">
          {shown.map((e) => (
            <li
              key={`${e.at}-${e.by}-${e.kind}-${e.targetId}-${e.to ?? ''}`}
              className="max-w-full rounded-2xl bg-slate-100 px-3 py-1 text-slate-800 ring-1 ring-slate-200 [overflow-wrap:anywhere]"
            >
              <strong>{e.by === myId ? 'You' : e.who || 'Someone'}</strong> {describeChange(e)}
              <span className="text-slate-600"> · {time(e.at)}</span>
            </li>
          ))}
        </ul>
      )}
      {history.length > SHOWN && (
        <button
          type="button"
          className="min-h-9 rounded-md px-2 font-semibold text-blue-700 underline hover:bg-slate-100"
          aria-expanded={all}
          onClick={() => setAll((v) => !v)}
        >
          {all ? 'Show fewer' : `Show all ${history.length} changes`}
        </button>
      )}
      {canRestore && (
        <div className="rounded-lg bg-white p-2 ring-1 ring-slate-200" data-testid="removed-criteria">
          <h3 className="font-semibold">Removed criteria</h3>
          {restoreBlockedReason && <p className="text-slate-700">{restoreBlockedReason}</p>}
          <ul className="mt-1 space-y-1">
            {[...removed].reverse().map((r) => (
              <li key={r.criterion.id} className="flex flex-wrap items-center justify-between gap-2">
                <span className="min-w-0 [overflow-wrap:anywhere]">
                  <strong>{r.criterion.name || 'Unnamed criterion'}</strong> (weight {r.criterion.weight}),
                  removed by {r.by === myId ? 'you' : r.who || 'someone'} at {time(r.at)}
                </span>
                <button
                  type="button"
                  className="min-h-9 rounded-md bg-white px-3 py-1 font-semibold ring-1 ring-slate-300 hover:bg-slate-100 disabled:opacity-40"
                  disabled={Boolean(restoreBlockedReason)}
                  aria-label={`Restore ${r.criterion.name || 'the unnamed criterion'}`}
                  onClick={() => onRestore?.(r.criterion.id)}
                >
                  Restore
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
