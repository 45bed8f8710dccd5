'use client';

import { useEffect, useMemo, useRef, useState } from 'react';
import { ABSTAIN, EVENTS } from '@/lib/protocol';
import { abstentionsByCell, roundConsensus } from '@/lib/round-consensus';
import type { BoardConnection } from '../use-board-connection';
import { useBoardSnapshot } from '../use-board-snapshot';
import { useChangeLog } from '../use-change-log';
import { useCommands } from '../use-commands';
import { BAND_STYLE, fmt } from './agreement';
import { BoardHeader } from './board-header';
import { ChangeStrip } from './change-strip';
import { ConsensusMatrix } from './consensus-matrix';
import { Countdown } from './countdown';
import { CriteriaGrid } from './criteria-grid';
import { DecisionPanel } from './decision-panel';
import { EvidenceForm } from './evidence-form';
import { NotesPanel } from './notes-panel';
import { PresenceList } from './presence-list';
import { RoundBanner } from './round-banner';
import { RoundBar } from './round-bar';
import { ScoreCell } from './score-cell';
import { SharePanel } from './share-panel';
import { StatusPills } from './status-pills';

/** How long an error toast stays up (unless hovered or focused). */
const ERROR_TOAST_MS = 8000;

/**
 * A board as one person sees it: participants and the facilitator edit and score;
 * viewers (and everyone while the board is locked) read.
 */
export function BoardView({
  conn,
  links,
  downloadHref,
}: {
  conn: BoardConnection;
  links: { participant: string | null; viewer: string | null; facilitator: string | null };
  downloadHref: string | null;
}) {
  const board = useBoardSnapshot(conn.doc);
  const { send, lastError, clearError } = useCommands(conn.socket);
  // An error toast goes away by itself after a while (it stays while the pointer is on it).
  const [toastHeld, setToastHeld] = useState(false);
  // clearError is a new function on every render: kept in a ref so state pushes do not restart the timer.
  const clearErrorRef = useRef(clearError);
  clearErrorRef.current = clearError;
  useEffect(() => {
    if (!lastError || toastHeld) return;
    const t = setTimeout(() => clearErrorRef.current(), ERROR_TOAST_MS);
    return () => clearTimeout(t);
  }, [lastError, toastHeld]);
  const session = conn.session;
  const isViewer = session?.role === 'viewer';
  // The session channel referees the board's status; the document only mirrors it.
  const readOnly = isViewer || (session?.settings.status ?? board.status) !== 'open';
  const isFacilitator = session?.role === 'facilitator';
  const changes = useChangeLog(conn.awareness, session?.you?.name ?? null);
  const me = session?.roster.find((p) => p.id === session.you?.participantId);
  const current = session?.rounds.at(-1);
  const scoring = current?.status === 'open' && me && !me.spectator && !readOnly ? current : null;
  const latestVisible = session?.rounds.filter((r) => r.scores !== null).at(-1);
  const latestRevealed = session?.rounds.filter((r) => r.status === 'revealed').at(-1);
  const summary = useMemo(
    () =>
      session && latestVisible
        ? roundConsensus(board, latestVisible, session.roster, session.settings.scale)
        : null,
    [board, latestVisible, session],
  );
  const abstentions = useMemo(() => abstentionsByCell(latestVisible?.scores ?? []), [latestVisible]);
  const leaderId = useMemo(
    () =>
      session && latestRevealed
        ? (roundConsensus(board, latestRevealed, session.roster, session.settings.scale)?.result.leaderId ??
          null)
        : null,
    [board, latestRevealed, session],
  );

  const renderCell = (criterionId: string, optionId: string) => {
    const criterion = board.criteria.find((c) => c.id === criterionId);
    const option = board.options.find((o) => o.id === optionId);
    if (scoring && session) {
      const mine = scoring.mine.find((m) => m.criterionId === criterionId && m.optionId === optionId);
      return (
        <ScoreCell
          scale={session.settings.scale}
          value={mine === undefined ? null : (mine.value ?? ABSTAIN)}
          carried={mine?.carried === true}
          rationale={mine?.rationale ?? ''}
          criterionName={criterion?.name ?? ''}
          optionName={option?.name ?? ''}
          onCast={async (value, rationale) => {
            const r = await send(EVENTS.ballotCast, {
              roundId: scoring.id,
              criterionId,
              optionId,
              value,
              ...(rationale ? { rationale } : {}),
            });
            return r.ok;
          }}
        />
      );
    }
    const cell = summary?.result.cells.find((c) => c.criterionId === criterionId && c.optionId === optionId);
    const abstained = abstentions.get(`${criterionId}\u0000${optionId}`)?.length ?? 0;
    if (!cell || cell.n === 0) {
      return (
        <span className="text-sm text-slate-500">
          {abstained > 0
            ? `${abstained} abstained, no scores`
            : current?.status === 'open' && current.scores === null
              ? `sealed until the reveal · ${current.finished} of ${current.voters} finished`
              : current
                ? 'not scored'
                : 'no scores yet'}
        </span>
      );
    }
    const band = BAND_STYLE[cell.agreement];
    return (
      <div className="text-center">
        <div className="text-2xl font-bold tabular-nums">{fmt(cell.median)}</div>
        <div className={`mt-1 inline-block rounded px-1.5 text-xs font-semibold ring-1 ${band.className}`}>
          {band.label}
        </div>
        {abstained > 0 && <div className="text-xs text-slate-600">{abstained} abstained</div>}
      </div>
    );
  };

  if (conn.joinError) {
    return (
      <main className="mx-auto max-w-lg p-8">
        <h1 className="text-2xl font-bold">Cannot open this board</h1>
        <p role="alert" className="mt-2 text-red-700">
          {conn.joinError}
        </p>
      </main>
    );
  }

  return (
    <main className="mx-auto max-w-7xl space-y-6 px-3 py-4 sm:px-6">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <a href="/" className="text-sm font-semibold uppercase tracking-wider text-blue-700">
          Decision Board
        </a>
        <div className="flex flex-wrap items-center gap-2">
          {isViewer && (
            <span
              className="rounded-full bg-slate-800 px-3 py-1 text-sm font-semibold text-white"
              data-testid="viewer-badge"
            >
              View only
            </span>
          )}
          <StatusPills connection={conn.connection} save={conn.save} readOnly={readOnly} />
        </div>
      </div>
      {lastError && (
        <div
          role="alert"
          className="fixed inset-x-3 bottom-3 z-50 mx-auto flex max-w-xl items-center justify-between gap-3 rounded-xl bg-red-700 px-4 py-3 text-white shadow-lg"
          onMouseEnter={() => setToastHeld(true)}
          onMouseLeave={() => setToastHeld(false)}
          onFocus={() => setToastHeld(true)}
          onBlur={() => setToastHeld(false)}
        >
          <span>{lastError}</span>
          <button type="button" onClick={clearError} className="rounded px-2 font-bold" aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
      {conn.docNotice && (
        <div
          role="alert"
          data-testid="doc-notice"
          className="flex items-start justify-between gap-3 rounded-lg bg-amber-50 p-3 text-amber-900 ring-1 ring-amber-300"
        >
          <span>{conn.docNotice}</span>
          <button
            type="button"
            onClick={conn.dismissDocNotice}
            className="rounded px-2 font-bold"
            aria-label="Dismiss"
          >
            ✕
          </button>
        </div>
      )}
      {!conn.docReady ? (
        <p className="text-slate-500">Loading the board…</p>
      ) : (
        <div className="grid gap-6 xl:grid-cols-[1fr_19rem]">
          <div className="min-w-0 space-y-6">
            <BoardHeader doc={conn.doc} board={board} readOnly={readOnly} />
            {session && session.settings.status !== 'open' && (
              <p
                className="rounded-lg bg-amber-50 p-3 text-amber-900 ring-1 ring-amber-200"
                data-testid="locked-banner"
              >
                {session.settings.status === 'finalized'
                  ? 'This decision is finalized: the board is read-only until the facilitator reopens it.'
                  : 'The facilitator locked the board: no edits and no ballots for now.'}
              </p>
            )}
            {session && (
              <div className="space-y-2">
                <RoundBanner session={session} />
                <Countdown session={session} send={send} />
                <RoundBar session={session} board={board} send={send} />
              </div>
            )}
            {session && <ConsensusMatrix board={board} session={session} />}
            <ChangeStrip entries={changes.entries} />
            <CriteriaGrid
              doc={conn.doc}
              board={board}
              readOnly={readOnly}
              structureLockedReason={
                current?.status === 'open'
                  ? `Criteria, options and weights are frozen while round ${current.number} is open.`
                  : session?.settings.structureEditors === 'facilitator' && !isFacilitator
                    ? 'Only the facilitator changes criteria, options and weights on this board.'
                    : null
              }
              renderCell={renderCell}
              onStructureEdit={changes.announce}
              renderEvidenceForm={
                readOnly
                  ? undefined
                  : (criterionId) => (
                      <EvidenceForm criterionId={criterionId} options={board.options} send={send} />
                    )
              }
            />
            <NotesPanel doc={conn.doc} board={board} readOnly={readOnly} />
            {session && (
              <DecisionPanel
                doc={conn.doc}
                board={board}
                session={session}
                send={send}
                leaderId={leaderId}
                downloadHref={downloadHref}
              />
            )}
          </div>
          <aside className="grid content-start gap-4 md:grid-cols-2 xl:grid-cols-1">
            <PresenceList
              session={session}
              onRemove={
                isFacilitator
                  ? (id, name) => {
                      if (window.confirm(`Remove ${name} from this board? They can no longer vote.`)) {
                        void send(EVENTS.participantRemove, { participantId: id });
                      }
                    }
                  : undefined
              }
              onSetJoining={isFacilitator ? (open) => void send(EVENTS.boardSetJoining, { open }) : undefined}
            />
            {!isViewer && links.participant && (
              <SharePanel
                participantLink={links.participant}
                viewerLink={links.viewer}
                facilitatorLink={isFacilitator ? links.facilitator : null}
              />
            )}
          </aside>
        </div>
      )}
    </main>
  );
}
