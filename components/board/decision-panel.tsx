'use client';

import type * as Y from 'yjs';
import { setDecisionField, setDecisionStatus } from '@/lib/board-schema';
import { type BoardSnapshot, DECISION_STATUSES, type DecisionDraft } from '@/lib/board-types';
import { LIMITS } from '@/lib/limits';
import type { SessionState } from '@/lib/protocol';
import { EVENTS } from '@/lib/protocol-constants';
import type { CommandSender } from '../use-commands';

const input =
  'w-full rounded-md border border-slate-300 px-2 py-1.5 disabled:bg-slate-100 disabled:text-slate-700';

function Field({ label, children, hint }: { label: string; children: React.ReactNode; hint?: string }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is passed in as children
    <label className="block space-y-1">
      <span className="font-medium">{label}</span>
      {children}
      {hint && <span className="block text-xs text-slate-500">{hint}</span>}
    </label>
  );
}

/**
 * The decision draft — shared work in the document — and, for the facilitator, locking
 * and finalizing. Finalizing locks the board until the facilitator reopens it.
 */
export function DecisionPanel({
  doc,
  board,
  session,
  send,
  leaderId,
  downloadHref,
}: {
  doc: Y.Doc;
  board: BoardSnapshot;
  session: SessionState;
  send: CommandSender;
  leaderId: string | null;
  downloadHref: string | null;
}) {
  const status = session.settings.status;
  const locked = status !== 'open' || session.role === 'viewer';
  const roundOpen = session.rounds.at(-1)?.status === 'open';
  const isFacilitator = session.role === 'facilitator';
  const d = board.decision;
  const text = (field: Exclude<keyof DecisionDraft, 'status'>, label: string, hint?: string, rows = 2) => (
    <Field label={label} hint={hint}>
      <textarea
        className={input}
        rows={rows}
        value={d[field]}
        maxLength={LIMITS.MAX_NOTES_CHARS}
        disabled={locked}
        onChange={(e) => setDecisionField(doc, field, e.target.value)}
      />
    </Field>
  );
  const leaderName = board.options.find((o) => o.id === leaderId)?.name;

  return (
    <section
      aria-labelledby="decision-heading"
      className="space-y-4 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
      data-testid="decision-panel"
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="decision-heading" className="text-2xl font-bold">
          Decision
          {status === 'finalized' && (
            <span className="ml-2 rounded bg-emerald-100 px-2 py-0.5 align-middle text-base text-emerald-900 ring-1 ring-emerald-300">
              finalized
            </span>
          )}
          {status === 'locked' && (
            <span className="ml-2 rounded bg-amber-100 px-2 py-0.5 align-middle text-base text-amber-900 ring-1 ring-amber-300">
              locked
            </span>
          )}
        </h2>
        {downloadHref && (
          <a
            href={downloadHref}
            download
            className="rounded-lg bg-slate-800 px-4 py-2 font-semibold text-white hover:bg-slate-700"
            data-testid="download-record"
          >
            Download decision record (.md)
          </a>
        )}
      </div>
      <div className="grid gap-4 md:grid-cols-2">
        <Field
          label="Chosen option"
          hint={leaderName ? `The matrix leader is ${leaderName}.` : 'No option leads yet.'}
        >
          <select
            className={input}
            value={d.chosenOptionId}
            disabled={locked}
            onChange={(e) => setDecisionField(doc, 'chosenOptionId', e.target.value)}
          >
            <option value="">{leaderName ? `The matrix leader (${leaderName})` : 'The matrix leader'}</option>
            {board.options.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name || 'Unnamed option'}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Status">
          <select
            className={input}
            value={d.status}
            disabled={locked}
            onChange={(e) => setDecisionStatus(doc, e.target.value as DecisionDraft['status'])}
          >
            {DECISION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
        <div className="md:col-span-2">
          {text('reason', 'Because…', 'Completes “Chosen option: X, because …”.')}
        </div>
        {text('consequencesGood', 'Good consequences', 'One per line.', 3)}
        {text('consequencesBad', 'Bad consequences', 'One per line.', 3)}
        <div className="md:col-span-2">
          {text('confirmation', 'Confirmation', 'How will we check the decision was implemented and works?')}
        </div>
        {text('decisionMakers', 'Decision-makers', undefined, 1)}
        {text('consulted', 'Consulted', undefined, 1)}
        {text('informed', 'Informed', undefined, 1)}
        <Field label="Review date">
          <input
            type="date"
            className={input}
            value={d.reviewDate}
            disabled={locked}
            onChange={(e) => setDecisionField(doc, 'reviewDate', e.target.value)}
          />
        </Field>
      </div>
      {isFacilitator && (
        <div
          className="flex flex-wrap gap-2 border-t border-slate-100 pt-3"
          data-testid="facilitator-decision-controls"
        >
          {status !== 'finalized' && roundOpen && (
            <p className="w-full text-slate-700" id="finalize-why" data-testid="finalize-why">
              Reveal round {session.rounds.at(-1)?.number} before finalizing: a decision is not finalized on
              sealed scores.
            </p>
          )}
          {status !== 'finalized' && (
            <button
              type="button"
              className="rounded-lg bg-emerald-700 px-4 py-2 font-semibold text-white hover:bg-emerald-800 disabled:opacity-40"
              disabled={roundOpen}
              aria-describedby={roundOpen ? 'finalize-why' : undefined}
              onClick={() => {
                if (
                  window.confirm(
                    'Finalize the decision? The board locks: no edits and no ballots until you reopen it.',
                  )
                ) {
                  void send(EVENTS.boardFinalize, {});
                }
              }}
            >
              Finalize decision
            </button>
          )}
          {status === 'open' && (
            <button
              type="button"
              className="rounded-lg px-4 py-2 font-semibold ring-1 ring-slate-300 hover:bg-slate-100"
              onClick={() => void send(EVENTS.boardLock, {})}
            >
              Lock board
            </button>
          )}
          {status !== 'open' && (
            <button
              type="button"
              className="rounded-lg px-4 py-2 font-semibold ring-1 ring-slate-300 hover:bg-slate-100"
              onClick={() => void send(EVENTS.boardUnlock, {})}
            >
              {status === 'finalized' ? 'Reopen board' : 'Unlock board'}
            </button>
          )}
        </div>
      )}
    </section>
  );
}
