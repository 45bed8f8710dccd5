'use client';

import { useEffect, useState } from 'react';
import type { SessionState } from '@/lib/protocol';

/**
 * Seconds left on the facilitator's countdown, corrected for this device's clock skew against
 * the server (`serverNow`), ticking every `tickMs`; null when no timer runs.
 */
export function useSecondsLeft(session: SessionState, tickMs: number): number | null {
  const timer = session.settings.timer;
  const skewMs = new Date(session.serverNow).getTime() - Date.now();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!timer) return;
    const t = setInterval(() => setNow(Date.now()), tickMs);
    return () => clearInterval(t);
  }, [timer, tickMs]);
  return timer ? Math.max(0, Math.round((new Date(timer.endsAt).getTime() - (now + skewMs)) / 1000)) : null;
}
