'use client';

import { useId, useState } from 'react';
import type { SourceSnapshot } from '@/lib/board-types';
import { safeHttpUrl } from './safe-url';

/**
 * "— <article's short name>" after a claim; hovering it, focusing it from the keyboard, or tapping it
 * shows where to check the claim: its id, its article and the section in that article. The card
 * is positioned against the nearest `relative` ancestor (the claim's list item) and spans its
 * width, so on a phone it never runs off the screen.
 *
 * Hover uses Tailwind's `peer-hover`, which only applies on devices that can hover; a tap toggles
 * the card instead (and Escape closes it).
 */
export function ClaimCitation({
  sourceId,
  source,
  claimId,
  locator,
}: {
  sourceId: string;
  source: SourceSnapshot | undefined;
  /** Shown for claims with a stable id; undefined for sides of boards made before ids existed. */
  claimId: string | undefined;
  locator: string | null;
}) {
  const [open, setOpen] = useState(false);
  const cardId = useId();
  const title = source ? source.title : sourceId;
  const label = source?.shortTitle || title;
  const href = safeHttpUrl(source?.url);
  return (
    <>
      <button
        type="button"
        className="peer inline cursor-help text-left text-slate-600 underline decoration-slate-400 decoration-dotted underline-offset-2 hover:text-slate-900"
        aria-expanded={open}
        aria-describedby={cardId}
        data-testid="claim-citation"
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setOpen(false);
        }}
      >
        — {label}
      </button>
      <span
        id={cardId}
        role="tooltip"
        data-testid="claim-locator"
        className={`${open ? 'block' : 'hidden'} absolute inset-x-0 top-full z-20 pt-1 peer-hover:block peer-focus-visible:block hover:block`}
      >
        <span className="block rounded-md bg-slate-900 px-3 py-2 text-xs leading-relaxed text-white shadow-lg">
          {claimId && (
            <span className="block font-mono text-slate-300">
              Claim <span className="text-white">{claimId}</span>
            </span>
          )}
          <span className="block">
            {title}
            {source?.publisher ? ` (${source.publisher})` : ''}
          </span>
          <span className="block">
            <span className="text-slate-300">Section: </span>
            {locator ?? 'not recorded'}
          </span>
          {href && (
            <a href={href} target="_blank" rel="noopener noreferrer" className="text-sky-300 underline">
              Open the article
            </a>
          )}
        </span>
      </span>
    </>
  );
}
