'use client';

import { useEffect, useState } from 'react';

type Listener = (message: string) => void;
const listeners = new Set<Listener>();

/**
 * Says something to screen-reader users through the page's one polite live region
 * (`<LiveAnnouncer />`, in the root layout): round events, the connection, queued scores.
 * Anything in the browser can call it; a repeated message is announced again.
 */
export function announce(message: string): void {
  for (const listener of listeners) listener(message);
}

/** The polite live region `announce()` writes to. Rendered once, in the root layout. */
export function LiveAnnouncer() {
  const [said, setSaid] = useState<{ n: number; message: string }>({ n: 0, message: '' });
  useEffect(() => {
    const listener: Listener = (message) => setSaid((s) => ({ n: s.n + 1, message }));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return (
    <div role="status" aria-live="polite" aria-atomic="true" className="sr-only" data-testid="announcer">
      {/* A new node per message: screen readers announce an insertion, even of the same text. */}
      {said.message && <p key={said.n}>{said.message}</p>}
    </div>
  );
}
