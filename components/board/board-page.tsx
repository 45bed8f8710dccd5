'use client';

import { useEffect, useState } from 'react';
import { localStore } from '../local-store';
import { useBoardConnection } from '../use-board-connection';
import { BoardView } from './board-view';
import { JoinForm } from './join-form';

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

type Summary =
  | { state: 'loading' }
  | { state: 'found'; title: string }
  | { state: 'missing' }
  | { state: 'unknown' };

/**
 * The board's title before joining (to name it on the join form), and whether the link points
 * to a board at all — so a bad link says so before asking for a name. Any other answer
 * (rate limited, offline) just goes on to the join form.
 */
function useBoardSummary(boardId: string): Summary {
  const [summary, setSummary] = useState<Summary>({ state: 'loading' });
  useEffect(() => {
    let live = true;
    fetch(`/api/boards/${encodeURIComponent(boardId)}`)
      .then(async (res) => {
        if (!live) return;
        if (res.status === 404) return setSummary({ state: 'missing' });
        if (!res.ok) return setSummary({ state: 'unknown' });
        const body = (await res.json()) as { title?: unknown };
        setSummary(
          typeof body.title === 'string' ? { state: 'found', title: body.title } : { state: 'unknown' },
        );
      })
      .catch(() => live && setSummary({ state: 'unknown' }));
    return () => {
      live = false;
    };
  }, [boardId]);
  return summary;
}

/** A participant's (or the facilitator's) view of a board. */
export function BoardPage({ boardId }: { boardId: string }) {
  const [name, setName] = useState<string | null>(null);
  const [asked, setAsked] = useState(false);
  const facilitatorKey = useFacilitatorKey(boardId);
  const summary = useBoardSummary(boardId);
  useEffect(() => {
    setName(localStore.displayName());
    setAsked(true);
  }, []);

  if (!asked || summary.state === 'loading') return null;
  if (summary.state === 'missing') {
    return (
      <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center px-6">
        <h1 className="text-2xl font-bold">No board at this link</h1>
        <p className="mt-2 text-slate-700" data-testid="missing-board">
          Check that the whole link was copied, or ask the facilitator for it again.
        </p>
        <a href="/" className="mt-4 font-semibold text-blue-700 underline">
          Start a new decision instead
        </a>
      </main>
    );
  }
  if (!name) {
    return (
      <JoinForm
        initialName=""
        boardTitle={summary.state === 'found' ? summary.title : null}
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
  const origin = typeof window === 'undefined' ? '' : window.location.origin;
  const viewerKey = conn.session?.viewerKey;
  return (
    <BoardView
      conn={conn}
      links={{
        participant: `${origin}/b/${boardId}`,
        viewer: viewerKey ? `${origin}/v/${viewerKey}` : null,
        facilitator: facilitatorKey ? `${origin}/b/${boardId}#key=${facilitatorKey}` : null,
      }}
      downloadHref={`/api/boards/${boardId}/decision.md`}
    />
  );
}
