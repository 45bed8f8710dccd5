'use client';

import { useEffect, useMemo, useState } from 'react';
import { EVENTS } from '@/lib/protocol';
import { roundConsensus } from '@/lib/round-consensus';
import { localStore } from '../local-store';
import { useBoardConnection } from '../use-board-connection';
import { useBoardSnapshot } from '../use-board-snapshot';
import { useCommands } from '../use-commands';
import { BAND_STYLE, fmt } from './agreement';
import { BoardHeader } from './board-header';
import { ConsensusMatrix } from './consensus-matrix';
import { CriteriaGrid } from './criteria-grid';
import { EvidenceForm } from './evidence-form';
import { JoinForm } from './join-form';
import { PresenceList } from './presence-list';
import { RoundBar } from './round-bar';
import { ScoreCell } from './score-cell';
import { SharePanel } from './share-panel';
import { StatusPills } from './status-pills';

/** Reads the facilitator key from the URL fragment (#key=…), remembering it for this board. */
function useFacilitatorKey(boardId: string): string | null {
  const [key, setKey] = useState<string | null>(null);
  useEffect(() => {
    const fromHash = new URLSearchParams(window.location.hash.slice(1)).get('key');
    if (fromHash) localStore.setFacilitatorKey(boardId, fromHash);
    setKey(fromHash ?? localStore.facilitatorKey(boardId));
  }, [boardId]);
  return key;
}

/** A participant's (or the facilitator's) view of a board. */
export function BoardPage({ boardId }: { boardId: string }) {
  const [name, setName] = useState<string | null>(null);
  const [asked, setAsked] = useState(false);
  const facilitatorKey = useFacilitatorKey(boardId);
  useEffect(() => {
    setName(localStore.displayName());
    setAsked(true);
  }, []);

  if (!asked) return null;
  if (!name) {
    return (
      <JoinForm
        initialName=""
        onJoin={(n) => {
          localStore.setDisplayName(n);
          setName(n);
        }}
      />
    );
  }
  return <JoinedBoard boardId={boardId} name={name} facilitatorKey={facilitatorKey} />;
}

function JoinedBoard({
  boardId,
  name,
  facilitatorKey,
}: {
  boardId: string;
  name: string;
  facilitatorKey: string | null;
}) {
  const conn = useBoardConnection({ as: 'participant', boardId, name, facilitatorKey });
  const board = useBoardSnapshot(conn.doc);
  const { send, lastError, clearError } = useCommands(conn.socket);
  const session = conn.session;
  // The session channel is the referee of the board's status; the document mirrors it.
  const readOnly = (session?.settings.status ?? board.status) !== 'open';
  const origin = typeof window === 'undefined' ? '' : window.location.origin;
  const isFacilitator = session?.role === 'facilitator';
  const me = session?.roster.find((p) => p.id === session.you?.participantId);
  const current = session?.rounds.at(-1);
  const scoring = current?.status === 'open' && me && !me.spectator && !readOnly ? current : null;
  const latestVisible = session?.rounds.filter((r) => r.scores !== null).at(-1);
  const summary = useMemo(
    () =>
      session && latestVisible
        ? roundConsensus(board, latestVisible, session.roster, session.settings.scale)
        : null,
    [board, latestVisible, session],
  );

  const renderCell = (criterionId: string, optionId: string) => {
    const criterion = board.criteria.find((c) => c.id === criterionId);
    const option = board.options.find((o) => o.id === optionId);
    if (scoring && session) {
      const mine = scoring.mine.find((m) => m.criterionId === criterionId && m.optionId === optionId);
      return (
        <ScoreCell
          scale={session.settings.scale}
          value={mine?.value ?? null}
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
    if (!cell || cell.n === 0)
      return <span className="text-sm text-slate-400">{current ? 'not scored' : 'no scores yet'}</span>;
    const band = BAND_STYLE[cell.agreement];
    return (
      <div className="text-center">
        <div className="text-2xl font-bold tabular-nums">{fmt(cell.median)}</div>
        <div className={`mt-1 inline-block rounded px-1.5 text-xs font-semibold ring-1 ${band.className}`}>
          {band.label}
        </div>
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
        <StatusPills connection={conn.connection} save={conn.save} readOnly={readOnly} />
      </div>
      {lastError && (
        <div
          role="alert"
          className="fixed inset-x-3 bottom-3 z-50 mx-auto flex max-w-xl items-center justify-between gap-3 rounded-xl bg-red-700 px-4 py-3 text-white shadow-lg"
        >
          <span>{lastError}</span>
          <button type="button" onClick={clearError} className="rounded px-2 font-bold" aria-label="Dismiss">
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
            {session && <RoundBar session={session} board={board} send={send} />}
            {session && <ConsensusMatrix board={board} session={session} />}
            <CriteriaGrid
              doc={conn.doc}
              board={board}
              readOnly={readOnly}
              renderCell={renderCell}
              renderEvidenceForm={
                readOnly
                  ? undefined
                  : (criterionId) => (
                      <EvidenceForm criterionId={criterionId} options={board.options} send={send} />
                    )
              }
            />
          </div>
          <aside className="grid content-start gap-4 md:grid-cols-2 xl:grid-cols-1">
            <PresenceList session={conn.session} />
            <SharePanel
              participantLink={`${origin}/b/${boardId}`}
              facilitatorLink={
                isFacilitator && facilitatorKey ? `${origin}/b/${boardId}#key=${facilitatorKey}` : null
              }
            />
          </aside>
        </div>
      )}
    </main>
  );
}
