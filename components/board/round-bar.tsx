'use client';

import { useState } from 'react';
import type { BoardSnapshot } from '@/lib/board-types';
import type { SessionState } from '@/lib/protocol';
import { EVENTS, SCALES } from '@/lib/protocol-constants';
import type { CommandSender } from '../use-commands';

const btn = 'rounded-lg px-4 py-2 font-semibold disabled:opacity-40';

/** Round status for everyone; round controls for the facilitator. */
export function RoundBar({
  session,
  board,
  send,
}: {
  session: SessionState;
  board: BoardSnapshot;
  send: CommandSender;
}) {
  const round = session.rounds.at(-1) ?? null;
  const open = round?.status === 'open' ? round : null;
  const isFacilitator = session.role === 'facilitator';
  const locked = session.settings.status !== 'open';
  const me = session.roster.find((p) => p.id === session.you?.participantId);
  const names = new Map(session.roster.map((p) => [p.id, p]));
  const anyScore = session.rounds.some(
    (r) => r.finished > 0 || r.progress.some((p) => (p.scored ?? 0) > 0) || (r.scores?.length ?? 0) > 0,
  );
  const totalCells = board.criteria.length * board.options.length;
  const finished = open ? `${open.finished} of ${open.voters} finished.` : '';
  const anonymous = open?.anonymous ? ' Anonymous: scores show under pseudonyms, for good.' : '';
  const [carryOver, setCarryOver] = useState(true);
  const carried = open?.mine.filter((m) => m.carried).length ?? 0;
  const start = (mode: 'blind' | 'open') => void send(EVENTS.roundStart, { mode, carryOver });

  return (
    <section
      aria-label="Scoring round"
      className="space-y-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
      data-testid="round-bar"
      data-round-id={round?.id}
    >
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h2 className="text-xl font-bold" data-testid="round-status">
            {session.settings.status === 'finalized'
              ? `Decided: ${board.options.find((o) => o.id === board.decision.chosenOptionId)?.name || 'no option chosen'}`
              : !round
                ? 'No scoring round yet'
                : open
                  ? `Round ${open.number} · ${open.mode === 'blind' ? 'blind' : 'open'}${open.anonymous ? ' · anonymous' : ''} · scoring`
                  : `Round ${round.number}${round.anonymous ? ' · anonymous' : ''} revealed`}
          </h2>
          <p className="text-sm text-slate-600">
            {session.settings.status === 'finalized'
              ? `Finalized after ${session.rounds.length} round${session.rounds.length === 1 ? '' : 's'}. `
              : ''}
            {open
              ? open.mode === 'blind'
                ? `Scores stay hidden until the reveal. ${finished}${anonymous}`
                : `Scores show live. ${finished}${anonymous}`
              : isFacilitator
                ? 'Start a round when the criteria and weights are ready.'
                : 'The facilitator starts the next round.'}
            {` Scale ${session.settings.scale.min}–${session.settings.scale.max}.`}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          {isFacilitator && !open && (
            <>
              <button
                type="button"
                className={`${btn} bg-blue-700 text-white hover:bg-blue-800`}
                disabled={locked || totalCells === 0}
                onClick={() => start('blind')}
              >
                Start blind round
              </button>
              <button
                type="button"
                className={`${btn} bg-white ring-1 ring-slate-300 hover:bg-slate-100`}
                disabled={locked || totalCells === 0}
                onClick={() => start('open')}
              >
                Start open round
              </button>
            </>
          )}
          {isFacilitator && open && (
            <button
              type="button"
              className={`${btn} bg-emerald-700 text-white hover:bg-emerald-800`}
              onClick={() => void send(EVENTS.roundReveal, { roundId: open.id })}
            >
              Reveal scores
            </button>
          )}
        </div>
      </div>

      {open && carried > 0 && me && !me.spectator && !locked && (
        <div
          className="flex flex-wrap items-center justify-between gap-3 rounded-lg bg-amber-50 p-3 text-amber-950 ring-1 ring-amber-300"
          data-testid="carried-notice"
        >
          <p>
            <strong>
              {carried} of your scores {carried === 1 ? 'is' : 'are'} carried over from round{' '}
              {open.number - 1}.
            </strong>{' '}
            Change the ones you changed your mind on, then keep the rest.
          </p>
          <button
            type="button"
            className={`${btn} bg-amber-700 text-white hover:bg-amber-800`}
            onClick={() => void send(EVENTS.ballotKeep, { roundId: open.id })}
          >
            Keep my other {carried} score{carried === 1 ? '' : 's'}
          </button>
        </div>
      )}

      {open && open.progress.length > 0 && (
        <ul className="flex flex-wrap gap-2" aria-label="Who has finished" data-testid="progress-list">
          {open.progress.map((p) => {
            const person = names.get(p.participantId);
            const done = p.done;
            return (
              <li
                key={p.participantId}
                className={`rounded-full px-3 py-1 text-sm ring-1 ${done ? 'bg-emerald-50 ring-emerald-300' : 'bg-slate-50 ring-slate-200'} ${person?.online ? '' : 'opacity-60'}`}
              >
                {done ? '✓ ' : ''}
                {person?.name ?? 'Someone'}{' '}
                {done ? 'finished' : p.scored === null ? 'not finished' : `${p.scored}/${p.total}`}
                {person && !person.online ? ' (away)' : ''}
              </li>
            );
          })}
        </ul>
      )}

      <div className="flex flex-wrap items-center gap-x-6 gap-y-2 border-t border-slate-100 pt-3 text-sm">
        {me && (
          <label className="inline-flex items-center gap-2">
            <input
              type="checkbox"
              className="h-5 w-5"
              checked={me.spectator}
              onChange={(e) => void send(EVENTS.participantSpectate, { spectator: e.target.checked })}
            />
            I’m only watching (spectator, does not vote)
          </label>
        )}
        {isFacilitator && (
          <>
            <span className="inline-flex flex-wrap items-center gap-2">
              Bring everyone to
              {(
                [
                  ['scores', 'the scores'],
                  ['matrix', 'the matrix'],
                  ['decision', 'the decision'],
                ] as const
              ).map(([target, words]) => (
                <button
                  key={target}
                  type="button"
                  className="rounded-md bg-white px-2 py-1 font-semibold ring-1 ring-slate-300 hover:bg-slate-100"
                  onClick={() => void send(EVENTS.boardSummon, { target })}
                >
                  {words}
                </button>
              ))}
            </span>
            {!open && round && (
              <label className="inline-flex items-center gap-2">
                <input
                  type="checkbox"
                  className="h-5 w-5"
                  checked={carryOver}
                  onChange={(e) => setCarryOver(e.target.checked)}
                />
                Next round starts from everyone’s previous scores
              </label>
            )}
            <label className="inline-flex items-center gap-2">
              <input
                type="checkbox"
                className="h-5 w-5"
                checked={session.settings.autoReveal}
                onChange={(e) => void send(EVENTS.boardSetAutoReveal, { enabled: e.target.checked })}
              />
              Reveal automatically when everyone present has finished
            </label>
            <label className="inline-flex items-center gap-2">
              <input
                type="checkbox"
                className="h-5 w-5"
                checked={session.settings.anonymous}
                onChange={(e) => void send(EVENTS.boardSetAnonymous, { enabled: e.target.checked })}
              />
              Anonymous rounds: hide who gave which score (from the next round on; a round keeps its setting)
            </label>
            <label className="inline-flex items-center gap-2">
              Criteria, options and weights can be changed by
              <select
                className="rounded-md border border-slate-300 px-2 py-1"
                value={session.settings.structureEditors}
                onChange={(e) =>
                  void send(EVENTS.boardSetStructureEditors, {
                    editors: e.target.value === 'facilitator' ? 'facilitator' : 'everyone',
                  })
                }
              >
                <option value="everyone">everyone</option>
                <option value="facilitator">only me (the facilitator)</option>
              </select>
            </label>
            <label className="inline-flex items-center gap-2">
              Scale
              <select
                className="rounded-md border border-slate-300 px-2 py-1"
                value={`${session.settings.scale.min}-${session.settings.scale.max}`}
                disabled={anyScore}
                title={anyScore ? 'The scale is fixed once anyone has scored' : undefined}
                onChange={(e) => {
                  const [min, max] = e.target.value.split('-').map(Number);
                  void send(EVENTS.boardSetScale, { min, max });
                }}
              >
                {SCALES.map((s) => (
                  <option key={`${s.min}-${s.max}`} value={`${s.min}-${s.max}`}>
                    {s.min}–{s.max}
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
      </div>
    </section>
  );
}
