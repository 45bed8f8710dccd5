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
