'use client';

import type { SessionState } from '@/lib/protocol';
import { EVENTS } from '@/lib/protocol-constants';
import type { CommandSender } from '../use-commands';
import { useSecondsLeft } from '../use-seconds-left';

/** The facilitator's countdown, shown to everyone; corrected for this device's clock skew. */
export function Countdown({ session, send }: { session: SessionState; send: CommandSender }) {
  const timer = session.settings.timer;
  const isFacilitator = session.role === 'facilitator';
  const left = useSecondsLeft(session, 250) ?? 0;
  const mm = Math.floor(left / 60);
  const ss = String(left % 60).padStart(2, '0');
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="countdown">
      {timer && (
        <span
          role="timer"
          aria-live="off"
          className={`rounded-lg px-3 py-1 text-2xl font-bold tabular-nums ring-1 ${left === 0 ? 'bg-red-100 text-red-900 ring-red-300' : 'bg-slate-900 text-white ring-slate-900'}`}
        >
          {left === 0 ? "Time's up" : `${mm}:${ss} left`}
        </span>
      )}
      {isFacilitator &&
        (timer ? (
          <button
            type="button"
            className="rounded-md px-3 py-1 text-sm font-semibold ring-1 ring-slate-300 hover:bg-slate-100"
            onClick={() => void send(EVENTS.timerStop, {})}
          >
            Stop timer
          </button>
        ) : (
          [1, 3, 5].map((m) => (
            <button
              key={m}
              type="button"
              className="rounded-md px-3 py-1 text-sm font-semibold ring-1 ring-slate-300 hover:bg-slate-100"
              onClick={() => void send(EVENTS.timerStart, { seconds: m * 60 })}
            >
              {m}-min timer
            </button>
          ))
        ))}
    </div>
  );
}
