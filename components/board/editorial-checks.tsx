'use client';

import { checkedIds, type EvidenceSnapshot, type SourceSnapshot } from '@/lib/board-types';

/**
 * The board's own editorial checks on a criterion's claims. They are notes of ours, not claims
 * of any article, so they sit in their own box, say so, name the claims they check and what they
 * rest on; they never take an article's attribution.
 */
export function EditorialChecks({
  checks,
  evidence,
  sources,
}: {
  checks: EvidenceSnapshot[];
  /** The criterion's evidence, to name the article of each checked claim. */
  evidence: EvidenceSnapshot[];
  sources: Map<string, SourceSnapshot>;
}) {
  const articleOf = (claimId: string): string | null => {
    const claim = evidence.find((e) => e.id === claimId);
    if (claim?.origin.type !== 'source') return null;
    return sources.get(claim.origin.sourceId)?.title ?? claim.origin.sourceId;
  };
  return (
    <section
      className="rounded-md bg-violet-50 p-3 text-sm ring-1 ring-violet-200"
      aria-label="The board's own checks"
      data-testid="editorial-checks"
    >
      <h4 className="font-semibold text-violet-900">✎ The board’s own checks</h4>
      <p className="text-xs text-violet-900">
        Editorial notes added by this board — not claims of the articles.
      </p>
      <ul className="mt-2 space-y-2">
        {checks.map((check) => {
          if (check.origin.type !== 'editorial') return null;
          const basis = typeof check.origin.basis === 'string' ? check.origin.basis : '';
          const checked = checkedIds(check.origin);
          return (
            <li
              key={check.id}
              id={`evidence-${check.id}`}
              className="scroll-mt-4 rounded border-l-4 border-violet-400 bg-white px-3 py-2"
            >
              <p>{check.text}</p>
              {checked.length > 0 && (
                <p className="mt-1 text-xs text-slate-600">
                  Checks{' '}
                  {checked.map((id, i) => {
                    const article = articleOf(id);
                    return (
                      <span key={id}>
                        {i > 0 && ', '}
                        claim <span className="font-mono">{id}</span>
                        {article && ` (${article})`}
                      </span>
                    );
                  })}
                </p>
              )}
              <p className="mt-1 text-xs text-slate-600">
                <span className="font-semibold">Rests on:</span> {basis || 'nothing stated'}
              </p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
