'use client';

import { useCallback, useState } from 'react';
import type { Result, SessionState } from '@/lib/protocol';
import type { BoardSocket } from './use-board-connection';

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
            cb: (err: unknown, r: Result<SessionState>) => void,
          ) => void
        )(event, payload, (err, result) => {
          if (err) {
            const r: Result<SessionState> = {
              ok: false,
              error: { code: 'internal', message: 'The server did not answer; nothing was changed.' },
            };
            setLastError(r.error.message);
            resolve(r);
            return;
          }
          setLastError(result.ok ? null : result.error.message);
          resolve(result);
        });
      }),
    [socket],
  );
  return { send, lastError, clearError: () => setLastError(null) };
}
