'use client';

import { useEffect, useRef, useState } from 'react';
import type { SessionState, SummonTarget } from '@/lib/protocol';
import { announce } from '../access/announce';

/** The element ids the banner's "go there" and follow-the-facilitator scroll to. */
export const PLACE_IDS: Record<SummonTarget, string> = {
  scores: 'grid-heading',
  matrix: 'matrix-heading',
  decision: 'decision-heading',
};

interface Banner {
  key: number;
  text: string;
  target: SummonTarget | null;
  tone: 'round' | 'reveal' | 'final';
}

function goTo(target: SummonTarget) {
  const el = document.getElementById(PLACE_IDS[target]);
  if (!el) return;
  el.scrollIntoView({ behavior: 'smooth', block: 'start' });
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  el.focus({ preventScroll: true });
}

/** What changed between two session states that everyone should notice, or null. */
function noticeOf(before: SessionState, now: SessionState): Omit<Banner, 'key'> | null {
  const a = before.rounds.at(-1);
  const b = now.rounds.at(-1);
  if (before.settings.status !== 'finalized' && now.settings.status === 'finalized') {
    return { text: 'The decision is finalized.', target: 'decision', tone: 'final' };
  }
  if (b && b.id !== a?.id && b.status === 'open') {
    return {
      text: `Round ${b.number} started: ${b.mode === 'blind' ? 'score blind' : 'scores show live'}.`,
      target: 'scores',
      tone: 'round',
    };
  }
  if (b && b.status === 'revealed' && (a?.id !== b.id || a.status !== 'revealed')) {
    return { text: `Round ${b.number} revealed: the scores are in.`, target: 'matrix', tone: 'reveal' };
  }
  return null;
}

const TONES: Record<Banner['tone'], string> = {
  round: 'bg-blue-700 text-white',
  reveal: 'bg-emerald-700 text-white',
  final: 'bg-slate-900 text-white',
};

/**
 * Round start, reveal and finalize as moments: a banner everyone sees with a "go there" button
 * (screen readers hear them through `announce()`: start and reveal from useRoundAnnouncements,
 * finalizing and summons from here); and, for pages that follow the facilitator, a jump to
 * where the facilitator brings everyone (`board:summon`).
 */
export function RoundBanner({
  session,
  showFollowToggle = true,
  inline = false,
}: {
  session: SessionState;
  /** The presenter view always follows: it has no toggle. */
  showFollowToggle?: boolean;
  /** In the page's flow, in large type (the presenter view), instead of floating over it. */
  inline?: boolean;
}) {
  const previous = useRef<SessionState | null>(null);
  const [banner, setBanner] = useState<Banner | null>(null);
  const [follow, setFollow] = useState(true);
  const lastSummon = useRef<number | null>(session.settings.summon?.seq ?? null);

  useEffect(() => {
    const before = previous.current;
    previous.current = session;
    if (!before) return;
    const notice = noticeOf(before, session);
    if (!notice) return;
    setBanner({ ...notice, key: Date.now() });
    // Round start and reveal are announced by useRoundAnnouncements; finalizing is not.
    if (notice.tone === 'final') announce(notice.text);
  }, [session]);

  useEffect(() => {
    const summon = session.settings.summon;
    if (!summon || summon.seq === lastSummon.current) return;
    lastSummon.current = summon.seq;
    if (session.role === 'facilitator') return;
    const words = { scores: 'the scores', matrix: 'the consensus matrix', decision: 'the decision' };
    const text = `The facilitator brings everyone to ${words[summon.target]}.`;
    setBanner({ key: Date.now(), text, target: summon.target, tone: 'round' });
    announce(text);
    if (follow) goTo(summon.target);
  }, [session.settings.summon, session.role, follow]);

  return (
    <>
      {banner && (
        <div
          className={`${inline ? 'text-4xl' : 'fixed inset-x-2 top-2 z-40 mx-auto max-w-3xl text-lg shadow-xl'} flex flex-wrap items-center justify-between gap-3 rounded-xl px-4 py-3 ${TONES[banner.tone]}`}
          data-testid="round-banner"
        >
          <strong>{banner.text}</strong>
          <div className="flex gap-2">
            {banner.target && (
              <button
                type="button"
                className="rounded-lg bg-white px-3 py-1 font-semibold text-slate-900 hover:bg-slate-100"
                onClick={() => {
                  if (banner.target) goTo(banner.target);
                  setBanner(null);
                }}
              >
                Go there
              </button>
            )}
            <button
              type="button"
              className="rounded-lg px-2 font-bold"
              aria-label="Dismiss"
              onClick={() => setBanner(null)}
            >
              ✕
            </button>
          </div>
        </div>
      )}
      {session.role !== 'facilitator' && showFollowToggle && (
        <label className="inline-flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            className="h-5 w-5"
            checked={follow}
            onChange={(e) => setFollow(e.target.checked)}
          />
          Follow the facilitator (go where they bring everyone)
        </label>
      )}
    </>
  );
}
