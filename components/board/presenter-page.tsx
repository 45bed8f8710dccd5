'use client';

import { useMemo } from 'react';
import type { BoardSnapshot } from '@/lib/board-types';
import { isCloseCall } from '@/lib/consensus';
import type { SessionState } from '@/lib/protocol';
import { abstentionsByCell, roundConsensus } from '@/lib/round-consensus';
import { useBoardConnection } from '../use-board-connection';
import { useBoardSnapshot } from '../use-board-snapshot';
import { BAND_STYLE, fmt } from './agreement';
import { RoundBanner } from './round-banner';

/**
 * The presenter view, for the projector: a viewer connection (so it can hold no private link,
 * no edit control and nobody's blind picks), full width, type legible from the back of a room.
 * During a blind round it shows progress; after the reveal, the totals and the matrix; after
 * finalizing, the outcome.
 */
export function PresenterPage({ viewerKey }: { viewerKey: string }) {
  const conn = useBoardConnection({ as: 'viewer', viewerKey });
  const board = useBoardSnapshot(conn.doc);
  const session = conn.session;
  if (conn.joinError) {
    return (
      <main className="p-12 text-3xl">
        <h1 className="font-bold">Cannot open this board</h1>
        <p role="alert">{conn.joinError}</p>
      </main>
    );
  }
  return (
    <main className="min-h-screen w-full space-y-8 bg-white px-8 py-6 text-slate-900" data-testid="presenter">
      <header className="space-y-2">
        <h1 className="text-5xl font-bold leading-tight">{board.title || 'Decision'}</h1>
        {board.question && <p className="text-3xl text-slate-700">{board.question}</p>}
      </header>
      {!session || !conn.docReady ? (
        <p className="text-3xl text-slate-500">Connecting…</p>
      ) : (
        <>
          <RoundBanner session={session} showFollowToggle={false} inline />
          <Stage session={session} board={board} />
        </>
      )}
    </main>
  );
}

function Stage({ session, board }: { session: SessionState; board: BoardSnapshot }) {
  const current = session.rounds.at(-1) ?? null;
  const shown = session.rounds.filter((r) => r.scores !== null).at(-1) ?? null;
  const previous = shown
    ? session.rounds.filter((r) => r.scores !== null && r.number < shown.number).at(-1)
    : undefined;
  const scale = session.settings.scale;
  const computed = useMemo(
    () => (shown ? roundConsensus(board, shown, session.roster, scale) : null),
    [board, shown, session.roster, scale],
  );
  const before = useMemo(
    () => (previous ? roundConsensus(board, previous, session.roster, scale) : null),
    [board, previous, session.roster, scale],
  );
  const optionName = (id: string | null) => board.options.find((o) => o.id === id)?.name || 'Unnamed option';
  const names = new Map(session.roster.map((p) => [p.id, p.name]));

  if (session.settings.status === 'finalized') {
    const chosen = board.decision.chosenOptionId;
    return (
      <section className="rounded-3xl bg-slate-900 p-10 text-white" data-testid="presenter-outcome">
        <p className="text-3xl uppercase tracking-wide text-slate-300">Decided</p>
        <p className="mt-2 text-7xl font-bold">{chosen ? optionName(chosen) : 'No option chosen'}</p>
        {board.decision.reason && <p className="mt-4 text-3xl">because {board.decision.reason}</p>}
      </section>
    );
  }

  if (current && current.status === 'open' && current.scores === null) {
    return (
      <section className="space-y-6" data-testid="presenter-progress">
        <p className="text-4xl font-semibold">
          Round {current.number} · blind · scoring{current.anonymous ? ' · anonymous' : ''}
        </p>
        <p className="text-8xl font-bold tabular-nums">
          {current.finished}{' '}
          <span className="text-5xl font-normal text-slate-500">of {current.voters} finished</span>
        </p>
        {current.progress.length > 0 && (
          <ul className="flex flex-wrap gap-4 text-3xl">
            {current.progress.map((p) => (
              <li
                key={p.participantId}
                className={`rounded-full px-6 py-2 ring-2 ${p.done ? 'bg-emerald-50 ring-emerald-500' : 'bg-slate-50 ring-slate-300'}`}
              >
                {p.done ? '✓ ' : ''}
                {names.get(p.participantId) ?? 'Someone'}
              </li>
            ))}
          </ul>
        )}
        <p className="text-2xl text-slate-600">Scores stay sealed until the facilitator reveals them.</p>
      </section>
    );
  }

  if (!shown || !computed) {
    return (
      <section className="space-y-4">
        <p className="text-4xl font-semibold">Waiting for the first round</p>
        <ol className="grid grid-cols-2 gap-3 text-3xl xl:grid-cols-3">
          {board.criteria.map((c) => (
            <li key={c.id} className="rounded-xl bg-slate-50 p-4 ring-1 ring-slate-200">
              {c.name} <span className="text-slate-500">· weight {c.weight}</span>
            </li>
          ))}
        </ol>
      </section>
    );
  }

  const { result } = computed;
  const close = result.leaderId !== null && isCloseCall(result.margin);
  const supporters = result.participants.filter((p) => p.preferredOptionId === result.leaderId).length;
  const voters = result.participants.length;
  const leaderChanged = before !== null && before.result.leaderId !== result.leaderId;
  const abstentions = abstentionsByCell(shown.scores ?? []);
  const cell = (c: string, o: string) => result.cells.find((x) => x.criterionId === c && x.optionId === o);
  return (
    <section className="space-y-8" data-testid="presenter-matrix">
      <p className="text-4xl font-semibold">
        Round {shown.number} {shown.status === 'revealed' ? 'revealed' : '· open, live'}
      </p>
      <div
        className="grid gap-6"
        style={{ gridTemplateColumns: `repeat(${Math.max(1, result.totals.length)}, minmax(0, 1fr))` }}
      >
        {result.totals.map((t) => {
          const leader = t.optionId === result.leaderId;
          return (
            <div
              key={t.optionId}
              className={`rounded-3xl p-8 ring-4 ${leader && !close ? 'bg-emerald-50 ring-emerald-500' : leader ? 'bg-amber-50 ring-amber-400' : 'bg-slate-50 ring-slate-200'}`}
            >
              <div className="text-4xl font-semibold">{optionName(t.optionId)}</div>
              <div className="text-8xl font-bold tabular-nums">
                {fmt(t.total, 2)}
                <span className="text-4xl font-normal text-slate-500"> / {scale.max}</span>
              </div>
              <div className="text-3xl">
                {leader
                  ? close
                    ? 'ahead, but too close to call'
                    : `leading by ${fmt(result.margin, 2)}`
                  : 'weighted mean'}
              </div>
            </div>
          );
        })}
      </div>
      <p className="text-4xl">
        {result.leaderId === null
          ? 'No option leads.'
          : `${supporters} of ${voters} ${voters === 1 ? 'person prefers' : 'people prefer'} ${optionName(result.leaderId)}.`}
        {leaderChanged && before
          ? ` The lead changed since round ${previous?.number} (${before.result.leaderId ? optionName(before.result.leaderId) : 'no leader'}).`
          : ''}
      </p>
      <table className="w-full border-separate border-spacing-2 text-left text-3xl">
        <thead>
          <tr>
            <th scope="col" className="p-3">
              Criterion
            </th>
            {board.options.map((o) => (
              <th key={o.id} scope="col" className="p-3">
                {o.name || 'Unnamed option'}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {board.criteria.map((c) => (
            <tr key={c.id}>
              <th scope="row" className="p-3 font-semibold">
                {c.name} <span className="text-2xl font-normal text-slate-500">×{c.weight}</span>
              </th>
              {board.options.map((o) => {
                const s = cell(c.id, o.id);
                const band = BAND_STYLE[s?.agreement ?? 'not-enough-scores'];
                const abstained = abstentions.get(`${c.id}\u0000${o.id}`)?.length ?? 0;
                return (
                  <td key={o.id} className="rounded-xl bg-slate-50 p-3">
                    <span className="text-4xl font-bold tabular-nums">{fmt(s?.mean ?? null)}</span>{' '}
                    <span className={`rounded-lg px-2 py-1 text-2xl font-semibold ring-2 ${band.className}`}>
                      {band.label}
                    </span>
                    {abstained > 0 && <span className="ml-2 text-2xl text-slate-600">· {abstained} ?</span>}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="text-2xl text-slate-600">
        Cells show the mean score (as the totals do) and how much people agree.
      </p>
    </section>
  );
}
