'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import type { WebsocketProvider } from 'y-websocket';

type Awareness = WebsocketProvider['awareness'];

/** One change to the board's structure, as the person who made it described it. */
export interface ChangeEntry {
  key: string;
  who: string;
  what: string;
  at: number;
}

/** How many changes the strip keeps. */
const MAX_CHANGES = 8;

/**
 * "Who changed what": each page says what its person just changed to the structure (options,
 * criteria, weights) through Yjs awareness — relayed to everyone on the board, never stored —
 * and collects what the others say. It is a courtesy for people in the room, not a record: a
 * page that joins later sees only each present person's latest change, and a page says what it
 * likes about itself (the edits themselves are checked by the server).
 */
export function useChangeLog(awareness: Awareness | null, myName: string | null) {
  const [entries, setEntries] = useState<ChangeEntry[]>([]);
  const seen = useRef(new Map<number, number>());
  const counter = useRef(0);

  const push = useCallback((entry: ChangeEntry) => {
    setEntries((list) => [entry, ...list].slice(0, MAX_CHANGES));
  }, []);

  useEffect(() => {
    if (!awareness) return;
    const onChange = ({ added, updated }: { added: number[]; updated: number[] }) => {
      for (const clientId of [...added, ...updated]) {
        if (clientId === awareness.clientID) continue;
        const edit = awareness.getStates().get(clientId)?.edit as
          | { n?: unknown; who?: unknown; what?: unknown; at?: unknown }
          | undefined;
        if (!edit || typeof edit.n !== 'number' || typeof edit.what !== 'string') continue;
        if (seen.current.get(clientId) === edit.n) continue;
        seen.current.set(clientId, edit.n);
        // A page met later shows its person's latest change too, at the time they made it.
        const at =
          typeof edit.at === 'number' && Number.isFinite(edit.at)
            ? Math.min(edit.at, Date.now())
            : Date.now();
        push({
          key: `${clientId}:${edit.n}`,
          who: typeof edit.who === 'string' && edit.who ? edit.who.slice(0, 40) : 'Someone',
          what: edit.what.slice(0, 160),
          at,
        });
      }
    };
    awareness.on('change', onChange);
    return () => awareness.off('change', onChange);
  }, [awareness, push]);

  /** Tells everyone (and this page's strip) what this person just changed. */
  const announce = useCallback(
    (what: string) => {
      counter.current += 1;
      const at = Date.now();
      push({ key: `me:${counter.current}`, who: 'You', what, at });
      awareness?.setLocalStateField('edit', { n: counter.current, who: myName ?? '', what, at });
    },
    [awareness, myName, push],
  );
  return { entries, announce };
}
