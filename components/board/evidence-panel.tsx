'use client';

import { memo, type ReactNode, useState } from 'react';
import {
  type CriterionSnapshot,
  checkedIds,
  type EvidenceSnapshot,
  locatorOf,
  type OptionSnapshot,
  type SourceSnapshot,
} from '@/lib/board-types';
import { ClaimCitation } from './claim-citation';
import { EditorialChecks } from './editorial-checks';
import { safeHttpUrl } from './safe-url';

type Sources = Map<string, SourceSnapshot>;

/** DOM id of an evidence entry, for links from a claim to the board's check on it. */
export const evidenceAnchor = (evidenceId: string) => `evidence-${evidenceId}`;

function ParticipantAttribution({ evidence }: { evidence: EvidenceSnapshot }) {
  if (evidence.origin.type !== 'participant') return null;
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

/** An article's claim: its text, where to check it, and a pointer to the board's check on it. */
function SourceClaim({
  evidence,
  sources,
  checkedBy,
}: {
  evidence: EvidenceSnapshot;
  sources: Sources;
  checkedBy: string[];
}) {
  if (evidence.origin.type !== 'source') return null;
  return (
    <li className="relative" id={evidenceAnchor(evidence.id)}>
      {evidence.text}{' '}
      <ClaimCitation
        sourceId={evidence.origin.sourceId}
        source={sources.get(evidence.origin.sourceId)}
        claimId={evidence.id}
        locator={locatorOf(evidence)}
      />
      {checkedBy.map((checkId) => (
        <a
          key={checkId}
          href={`#${evidenceAnchor(checkId)}`}
          className="ml-1 inline-block rounded-full bg-violet-100 px-2 text-xs font-semibold text-violet-900 ring-1 ring-violet-300"
        >
          ✎ board check
        </a>
      ))}
    </li>
  );
}

/**
 * A criterion's evidence, collapsed by default: the articles' claims per option, each citing its
 * article and section; where they disagree; the board's own editorial checks, kept apart from the
 * claims they check; and what participants added. Unknown fields on entries are ignored.
 */
/** Memoized: every criterion of a 40-criterion board has one, and a criterion's evidence rarely changes. */
export const EvidencePanel = memo(function EvidencePanel({
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
  const [open, setOpen] = useState(false);
  const bySource: Sources = new Map(sources.map((s) => [s.id, s]));
  const fromSources = criterion.evidence.filter((e) => e.origin.type === 'source');
  const checks = criterion.evidence.filter((e) => e.origin.type === 'editorial');
  const fromPeople = criterion.evidence.filter((e) => e.origin.type === 'participant');
  const checksOf = (claimId: string) =>
    checks.filter((c) => checkedIds(c.origin).includes(claimId)).map((c) => c.id);
  const columns: { key: string; label: string; optionId: string | null }[] = [
    ...options.map((o) => ({ key: o.id, label: o.name || 'Unnamed option', optionId: o.id })),
    { key: '__both', label: 'Comparing both', optionId: null },
  ];
  const total = criterion.evidence.length;
  return (
    <details
      className="group mt-2 rounded-lg bg-slate-50 ring-1 ring-slate-200"
      data-testid={`evidence-${criterion.id}`}
      onToggle={(e) => setOpen(e.currentTarget.open)}
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
        {checks.length > 0 && (
          <span className="rounded-full bg-violet-100 px-2 py-0.5 text-xs font-semibold text-violet-900 ring-1 ring-violet-300">
            ✎ {checks.length === 1 ? '1 board check' : `${checks.length} board checks`}
          </span>
        )}
      </summary>
      {/* Drawn when opened: a dozen criteria's claims, all at once, were most of the page's
          first-load blocking time on a phone. */}
      {open && (
        <div className="space-y-3 px-3 pb-3">
          {fromSources.length > 0 && (
            <p className="text-xs text-slate-600">
              Hover, tap or focus an article’s name to see the claim’s id and the section to check it in.
            </p>
          )}
          {criterion.contested && (
            <div
              className="rounded-md bg-amber-50 p-3 text-sm ring-1 ring-amber-200"
              data-testid="contested-summary"
            >
              <p>
                <span className="font-semibold text-amber-900">Sources disagree: </span>
                {criterion.contested.summary}
              </p>
              <ul className="mt-2 list-disc space-y-1 pl-5">
                {criterion.contested.sides.map((s) => (
                  <li key={`${s.sourceId}-${s.claimId ?? s.claim}`} className="relative">
                    {s.claim}{' '}
                    <ClaimCitation
                      sourceId={s.sourceId}
                      source={bySource.get(s.sourceId)}
                      claimId={typeof s.claimId === 'string' ? s.claimId : undefined}
                      locator={locatorOf(s)}
                    />
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
                  // Claims comparing the options read across both columns.
                  <div key={col.key} className={col.optionId === null ? 'md:col-span-2' : undefined}>
                    <h4 className="mb-1 text-sm font-semibold">{col.label}</h4>
                    {items.length === 0 ? (
                      <p className="text-sm text-slate-600">No claims.</p>
                    ) : (
                      <ul className="list-disc space-y-1 pl-5 text-sm">
                        {items.map((e) => (
                          <SourceClaim
                            key={e.id}
                            evidence={e}
                            sources={bySource}
                            checkedBy={checksOf(e.id)}
                          />
                        ))}
                      </ul>
                    )}
                  </div>
                );
              })}
            </div>
          )}
          {checks.length > 0 && (
            <EditorialChecks checks={checks} evidence={criterion.evidence} sources={bySource} />
          )}
          <div>
            <h4 className="mb-1 text-sm font-semibold">From participants</h4>
            {fromPeople.length === 0 ? (
              <p className="text-sm text-slate-600">Nothing added yet.</p>
            ) : (
              <ul className="list-disc space-y-1 pl-5 text-sm" data-testid="participant-evidence">
                {fromPeople.map((e) => (
                  <li key={e.id}>
                    {e.optionId && (
                      <strong>{options.find((o) => o.id === e.optionId)?.name ?? 'Removed option'}: </strong>
                    )}
                    {e.text} <ParticipantAttribution evidence={e} />
                  </li>
                ))}
              </ul>
            )}
            {addForm}
          </div>
        </div>
      )}
    </details>
  );
});
