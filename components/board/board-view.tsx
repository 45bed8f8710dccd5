'use client';

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ABSTAIN, EVENTS } from '@/lib/protocol-constants';
import { abstentionsByCell, roundConsensus } from '@/lib/round-consensus';
import { ScoringBar } from '../access/scoring-bar';
import { ScoringFocus } from '../access/scoring-focus';
import { cellKey } from '../access/scoring-progress';
import { useBallotOutbox } from '../access/use-ballot-outbox';
import { useRoundAnnouncements } from '../access/use-round-announcements';
import { useScoring } from '../access/use-scoring';
import type { BoardConnection } from '../use-board-connection';
import { useBoardHistory } from '../use-board-history';
import { useBoardSnapshot } from '../use-board-snapshot';
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
import { type CellValue, ScoreCell } from './score-cell';
import { SharePanel } from './share-panel';
import { StatusPills } from './status-pills';

/** How long an error toast stays up (unless hovered or focused). */
const ERROR_TOAST_MS = 8000;

/** Hidden until focused: the first Tab of the page. */
const SKIP_LINK =
  'sr-only rounded-lg bg-blue-700 px-4 py-2 font-semibold text-white focus:not-sr-only focus:absolute focus:left-3 focus:top-3 focus:z-50';

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
  const changes = useBoardHistory(conn.doc);
  const me = session?.roster.find((p) => p.id === session.you?.participantId);
  const current = session?.rounds.at(-1);
  const scoring = current?.status === 'open' && me && !me.spectator && !readOnly ? current : null;
  // Options, criteria and weights are frozen during a round (R7): their controls leave the tab path.
  const structureReadOnly = readOnly || current?.status === 'open';
  const outbox = useBallotOutbox({ session, connected: conn.connection === 'connected', send });
  const scoringState = useScoring(board, scoring ?? null, outbox.queue);
  useRoundAnnouncements(session, conn.connection);
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

  // Lookups by cell, built once per change: renderCell runs for every cell (480 on the
  // largest board), so a linear search in it would make every render quadratic.
  // Keyed on `mine` itself, which a patch about others' progress leaves as it was.
  const mine = scoring?.mine;
  const scoringId = scoring?.id ?? null;
  const mineByCell = useMemo(() => new Map((mine ?? []).map((m) => [cellKey(m), m])), [mine]);
  const queuedByCell = useMemo(() => {
    const byCell = new Map<string, (typeof outbox.queue)[number]>();
    for (const q of outbox.queue)
      if (scoringId !== null && q.roundId === scoringId && !byCell.has(cellKey(q))) byCell.set(cellKey(q), q);
    return byCell;
  }, [outbox.queue, scoringId]);
  const summaryByCell = useMemo(
    () => new Map((summary?.result.cells ?? []).map((c) => [cellKey(c), c])),
    [summary],
  );
  const scaleMin = session?.settings.scale.min ?? 1;
  const scaleMax = session?.settings.scale.max ?? 5;
  const scale = useMemo(() => ({ min: scaleMin, max: scaleMax }), [scaleMin, scaleMax]);
  // One cast function for every cell, always seeing the latest round, board and outbox.
  const castLatest = useRef<(c: string, o: string, v: CellValue, r: string) => Promise<boolean>>(
    async () => false,
  );
  castLatest.current = async (criterionId, optionId, value, rationale) => {
    if (!scoring) return false;
    const criterion = board.criteria.find((c) => c.id === criterionId);
    const option = board.options.find((o) => o.id === optionId);
    const sent = await outbox.cast({
      roundId: scoring.id,
      roundNumber: scoring.number,
      criterionId,
      optionId,
      value,
      rationale,
      criterionName: criterion?.name ?? '',
      optionName: option?.name ?? '',
    });
    // Kept on the device: the "server did not answer" toast would say nothing happened.
    if (sent === 'queued') clearError();
    return sent !== 'refused';
  };
  const onCast = useCallback(
    (c: string, o: string, v: CellValue, r: string) => castLatest.current(c, o, v, r),
    [],
  );

  // What a sealed cell says to those not scoring (viewers, the facilitator): a string, so that
  // renderCell below stays the same function while only others' progress changes.
  const sealedText =
    current?.status === 'open' && current.scores === null
      ? `sealed until the reveal · ${current.finished} of ${current.voters} finished`
      : current
        ? 'not scored'
        : 'no scores yet';
  // The same function until a cell's content changes: the criterion rows are memoized on it.
  const renderCell = useCallback(
    (criterionId: string, optionId: string) => {
      const key = cellKey({ criterionId, optionId });
      if (scoringId !== null) {
        const criterion = board.criteria.find((c) => c.id === criterionId);
        const option = board.options.find((o) => o.id === optionId);
        const mine = mineByCell.get(key);
        const queued = queuedByCell.get(key);
        return (
          <div data-cell={key}>
            <ScoreCell
              scale={scale}
              value={queued ? queued.value : mine === undefined ? null : (mine.value ?? ABSTAIN)}
              carried={!queued && mine?.carried === true}
              rationale={queued ? queued.rationale : (mine?.rationale ?? '')}
              queued={queued !== undefined}
              criterionId={criterionId}
              optionId={optionId}
              criterionName={criterion?.name ?? ''}
              optionName={option?.name ?? ''}
              onCast={onCast}
            />
          </div>
        );
      }
      const cell = summaryByCell.get(key);
      const abstained = abstentions.get(`${criterionId}\u0000${optionId}`)?.length ?? 0;
      if (!cell || cell.n === 0) {
        return (
          <span className="text-sm text-slate-600">
            {abstained > 0 ? `${abstained} abstained, no scores` : sealedText}
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
    },
    [
      scoringId,
      board.criteria,
      board.options,
      mineByCell,
      queuedByCell,
      scale,
      onCast,
      summaryByCell,
      abstentions,
      sealedText,
    ],
  );
  const evidenceForm = useCallback(
    (criterionId: string) => <EvidenceForm criterionId={criterionId} options={board.options} send={send} />,
    [board.options, send],
  );

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
    <main className={`mx-auto max-w-7xl space-y-6 px-3 py-4 sm:px-6 ${scoring ? 'pb-24' : ''}`}>
      {scoring ? (
        <button type="button" onClick={scoringState.goNextUnscored} className={SKIP_LINK}>
          Skip to scoring
        </button>
      ) : (
        <a href="#board-content" className={SKIP_LINK}>
          Skip to the board
        </a>
      )}
      {/* On phones the pills get a line of their own, so a pill appearing never pushes the page down. */}
      <div className="flex flex-col gap-2 sm:flex-row sm:flex-wrap sm:items-center sm:justify-between">
        <a href="/" className="text-sm font-semibold uppercase tracking-wider text-blue-700">
          Decision Board
        </a>
        <div className="flex min-h-8 flex-wrap items-center gap-2">
          {isViewer && (
            <span
              className="rounded-full bg-slate-800 px-3 py-1 text-sm font-semibold text-white"
              data-testid="viewer-badge"
            >
              View only
            </span>
          )}
          {/* Whether anything is unsaved is unknown until this browser's copy has loaded. */}
          <StatusPills connection={conn.connection} save={conn.save} readOnly={readOnly || !conn.docReady} />
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
      {outbox.notCounted.length > 0 && (
        <div
          role="alert"
          data-testid="not-counted"
          className="flex items-start justify-between gap-3 rounded-lg bg-red-50 p-3 text-red-900 ring-1 ring-red-300"
        >
          <ul className="space-y-1">
            {outbox.notCounted.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
          <button
            type="button"
            onClick={outbox.dismissNotCounted}
            className="rounded px-2 font-bold"
            aria-label="Dismiss"
          >
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
          <div className="min-w-0 space-y-6" id="board-content" tabIndex={-1}>
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
            {session ? (
              <div className="space-y-2">
                <RoundBanner session={session} />
                <Countdown session={session} send={send} />
                <RoundBar session={session} board={board} send={send} />
              </div>
            ) : (
              // Keeps the round bar's place while the session channel joins: nothing jumps.
              <div className="min-h-48 rounded-xl bg-white ring-1 ring-slate-200" aria-hidden />
            )}
            {session && <ConsensusMatrix board={board} session={session} />}
            <ChangeStrip
              history={changes.history}
              removed={changes.removed}
              myId={session?.you?.participantId ?? null}
              onRestore={
                isFacilitator && !readOnly
                  ? (criterionId) => void send(EVENTS.criterionRestore, { criterionId })
                  : undefined
              }
              restoreBlockedReason={
                current?.status === 'open'
                  ? 'Criteria cannot change during a round: reveal it first, then restore.'
                  : null
              }
            />
            {scoring && session && (
              <ScoringBar
                scored={scoringState.count}
                total={scoringState.total}
                session={session}
                oneAtATime={scoringState.oneAtATime}
                onToggleMode={scoringState.toggleMode}
                onNextUnscored={scoringState.goNextUnscored}
              />
            )}
            {scoring && scoringState.oneAtATime ? (
              <ScoringFocus
                board={board}
                index={scoringState.index}
                onIndex={scoringState.setIndex}
                renderCell={renderCell}
              />
            ) : (
              <CriteriaGrid
                doc={conn.doc}
                board={board}
                readOnly={structureReadOnly}
                structureLockedReason={
                  session?.settings.structureEditors === 'facilitator' && !isFacilitator
                    ? 'Only the facilitator changes criteria, options and weights on this board.'
                    : null
                }
                renderCell={renderCell}
                renderEvidenceForm={structureReadOnly ? undefined : evidenceForm}
              />
            )}
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
