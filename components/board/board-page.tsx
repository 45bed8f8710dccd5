'use client';

import { useEffect, useState } from 'react';
import { localStore } from '../local-store';
import { useBoardConnection } from '../use-board-connection';
import { useBoardSnapshot } from '../use-board-snapshot';
import { BoardHeader } from './board-header';
import { CriteriaGrid } from './criteria-grid';
import { JoinForm } from './join-form';
import { PresenceList } from './presence-list';
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
  const readOnly = board.status !== 'open';
  const origin = typeof window === 'undefined' ? '' : window.location.origin;
  const isFacilitator = conn.session?.role === 'facilitator';

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
      {!conn.docReady ? (
        <p className="text-slate-500">Loading the board…</p>
      ) : (
        <div className="grid gap-6 lg:grid-cols-[1fr_20rem]">
          <div className="min-w-0 space-y-6">
            <BoardHeader doc={conn.doc} board={board} readOnly={readOnly} />
            <CriteriaGrid doc={conn.doc} board={board} readOnly={readOnly} />
          </div>
          <aside className="space-y-4">
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
