'use client';

import { useEffect, useRef } from 'react';
import type { SessionState } from '@/lib/protocol';
import type { ConnectionStatus } from '../use-board-connection';
import { announce } from './announce';

/** Announces what changes for everyone: a round starting or revealed, the timer, the connection going and coming back. */
export function useRoundAnnouncements(session: SessionState | null, connection: ConnectionStatus): void {
  const lastRound = useRef<{ id: string; status: string } | null | undefined>(undefined);
  useEffect(() => {
    if (!session) return;
    const round = session.rounds.at(-1) ?? null;
    const before = lastRound.current;
    lastRound.current = round ? { id: round.id, status: round.status } : null;
    // The first state after joining is where things are, not news.
    if (before === undefined || !round) return;
    if (before?.id !== round.id && round.status === 'open') {
      announce(
        `Round ${round.number} started: ${round.mode === 'blind' ? 'blind, scores stay hidden until the reveal' : 'open, scores show live'}.`,
      );
    } else if (before?.id === round.id && before.status === 'open' && round.status !== 'open') {
      announce(`Round ${round.number} revealed: the consensus matrix is up to date.`);
    }
  }, [session]);

  // The timer: when it starts (or is there when joining) and when it runs out.
  const endsAt = session?.settings.timer?.endsAt ?? null;
  const serverNow = session?.serverNow ?? null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: serverNow is read for the skew only, once per timer
  useEffect(() => {
    if (!endsAt || !serverNow) return;
    const skewMs = new Date(serverNow).getTime() - Date.now();
    const leftMs = new Date(endsAt).getTime() - (Date.now() + skewMs);
    if (leftMs <= 0) return;
    const minutes = Math.max(1, Math.round(leftMs / 60_000));
    announce(`Timer started: ${minutes} minute${minutes === 1 ? '' : 's'} left.`);
    const t = setTimeout(() => announce('Time’s up.'), leftMs);
    return () => clearTimeout(t);
  }, [endsAt]);

  const lastConnection = useRef<ConnectionStatus | null>(null);
  /** "Connected again" only after a first connection (joining passes through "reconnecting"). */
  const wasConnected = useRef(false);
  useEffect(() => {
    const before = lastConnection.current;
    lastConnection.current = connection;
    const again = wasConnected.current;
    if (connection === 'connected') wasConnected.current = true;
    if (before === null || before === connection) return;
    if (connection === 'offline') {
      announce('Offline. Your edits and scores are kept on this device and sent when you reconnect.');
    } else if (connection === 'reconnecting' && before === 'connected') {
      announce('Connection lost; reconnecting. Your edits and scores are kept on this device.');
    } else if (connection === 'connected' && again) {
      announce('Connected again.');
    }
  }, [connection]);
}
