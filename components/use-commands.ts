'use client';

import { useCallback, useState } from 'react';
import type { Result, SessionState } from '@/lib/protocol';
import { type BoardSocket, sessionMirrors } from './use-board-connection';

const NOT_JOINED = {
  code: 'not_joined',
  message: 'Not joined: wait for the connection to come back.',
} as const;

export type CommandSender = (event: string, payload?: unknown) => Promise<Result<SessionState>>;

/** Sends session commands with an acknowledgement; remembers the last refusal to show it. */
export function useCommands(socket: BoardSocket | null) {
  const [lastError, setLastError] = useState<string | null>(null);
  const send: CommandSender = useCallback(
    (event, payload = {}) =>
      new Promise((resolve) => {
        if (!socket?.connected) {
          const r: Result<SessionState> = {
            ok: false,
            error: { code: 'internal', message: 'Not connected: wait for the connection to come back.' },
          };
          setLastError(r.error.message);
          resolve(r);
          return;
        }
        (
          socket.timeout(10_000).emit as (
            e: string,
            p: unknown,
            cb: (err: unknown, r: Result<null>) => void,
          ) => void
        )(event, payload, (err, ack) => {
          if (err) {
            const r: Result<SessionState> = {
              ok: false,
              error: { code: 'internal', message: 'The server did not answer; nothing was changed.' },
            };
            setLastError(r.error.message);
            resolve(r);
            return;
          }
          setLastError(ack.ok ? null : ack.error.message);
          // The command's own changes arrived as a patch just before this acknowledgement.
          const state = sessionMirrors.get(socket)?.state;
          resolve(ack.ok ? (state ? { ok: true, data: state } : { ok: false, error: NOT_JOINED }) : ack);
        });
      }),
    [socket],
  );
  return { send, lastError, clearError: () => setLastError(null) };
}
