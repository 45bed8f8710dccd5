'use client';

import type { ReactNode } from 'react';
import type { CriterionSnapshot, EvidenceSnapshot, OptionSnapshot, SourceSnapshot } from '@/lib/board-types';

/** Only http(s) links become anchors; anything else is shown as text. */
export function safeHttpUrl(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null;
  } catch {
    return null;
  }
}

function Attribution({
  evidence,
  sources,
}: {
  evidence: EvidenceSnapshot;
  sources: Map<string, SourceSnapshot>;
}) {
  if (evidence.origin.type === 'source') {
    const s = sources.get(evidence.origin.sourceId);
    return (
      <span className="text-slate-500">
        — {s ? s.title : evidence.origin.sourceId}
        {s?.publisher ? ` (${s.publisher})` : ''}
      </span>
    );
  }
  if (evidence.origin.type === 'editorial')
    return <span className="text-slate-500">— the board's own check</span>;
  const href = safeHttpUrl(evidence.origin.url);
  return (
    <span className="text-slate-500">
      — added by {evidence.origin.authorName}
      {href && (
        <>
          {' · '}
          <a href={href} target="_blank" rel="noopener noreferrer" className="text-blue-700 underline">
            open the linked source
          </a>
        </>
      )}
    </span>
  );
}

function EvidenceList({
  items,
  sources,
}: {
  items: EvidenceSnapshot[];
  sources: Map<string, SourceSnapshot>;
}) {
  if (items.length === 0) return <p className="text-sm text-slate-400">No claims.</p>;
  return (
    <ul className="list-disc space-y-1 pl-5 text-sm">
      {items.map((e) => (
        <li key={e.id}>
          {e.text} <Attribution evidence={e} sources={sources} />
        </li>
      ))}
    </ul>
  );
}

/**
 * A criterion's evidence per option, collapsed by default. Articles' claims and
 * participants' claims are shown apart; contested criteria carry a visible marker.
 */
export function EvidencePanel({
  criterion,
  options,
  sources,
  addForm,
}: {
  criterion: CriterionSnapshot;
  options: OptionSnapshot[];
  sources: SourceSnapshot[];
  addForm?: ReactNode;
}) {
  const bySource = new Map(sources.map((s) => [s.id, s]));
  const fromSources = criterion.evidence.filter((e) => e.origin.type === 'source');
  const fromPeople = criterion.evidence.filter((e) => e.origin.type === 'participant');
  const columns: { key: string; label: string; optionId: string | null }[] = [
    ...options.map((o) => ({ key: o.id, label: o.name || 'Unnamed option', optionId: o.id })),
    { key: '__both', label: 'Comparing both', optionId: null },
  ];
  const total = criterion.evidence.length;
  return (
    <details
      className="group mt-2 rounded-lg bg-slate-50 ring-1 ring-slate-200"
      data-testid={`evidence-${criterion.id}`}
    >
      <summary className="flex cursor-pointer list-none flex-wrap items-center gap-2 px-3 py-2 text-sm font-medium text-slate-700">
        <span aria-hidden className="transition group-open:rotate-90">
          ▶
        </span>
        Evidence ({total})
        {criterion.contested && (
          <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900 ring-1 ring-amber-300">
            ⚠ Sources disagree
          </span>
        )}
      </summary>
      <div className="space-y-3 px-3 pb-3">
        {criterion.contested && (
          <div
            className="rounded-md bg-amber-50 p-3 text-sm ring-1 ring-amber-200"
            data-testid="contested-summary"
          >
            <p className="font-semibold text-amber-900">Sources disagree: {criterion.contested.summary}</p>
            <ul className="mt-1 list-disc pl-5">
              {criterion.contested.sides.map((s) => (
                <li key={`${s.sourceId}-${s.claim}`}>
                  {s.claim}{' '}
                  <span className="text-slate-500">— {bySource.get(s.sourceId)?.title ?? s.sourceId}</span>
                </li>
              ))}
            </ul>
          </div>
        )}
        {fromSources.length > 0 && (
          <div className="grid gap-3 md:grid-cols-2">
            {columns.map((col) => {
              const items = fromSources.filter((e) => e.optionId === col.optionId);
              if (col.optionId === null && items.length === 0) return null;
              return (
                <div key={col.key}>
                  <h4 className="mb-1 text-sm font-semibold">{col.label}</h4>
                  <EvidenceList items={items} sources={bySource} />
                </div>
              );
            })}
          </div>
        )}
        <div>
          <h4 className="mb-1 text-sm font-semibold">From participants</h4>
          {fromPeople.length === 0 ? (
            <p className="text-sm text-slate-400">Nothing added yet.</p>
          ) : (
            <ul className="list-disc space-y-1 pl-5 text-sm" data-testid="participant-evidence">
              {fromPeople.map((e) => (
                <li key={e.id}>
                  {e.optionId && (
                    <strong>{options.find((o) => o.id === e.optionId)?.name ?? 'Removed option'}: </strong>
                  )}
                  {e.text} <Attribution evidence={e} sources={bySource} />
                </li>
              ))}
            </ul>
          )}
          {addForm}
        </div>
      </div>
    </details>
  );
}
