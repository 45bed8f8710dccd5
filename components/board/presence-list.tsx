'use client';

import type { SessionState } from '@/lib/protocol';

/** Who is on the board now, and who has been. */
export function PresenceList({
  session,
  onRemove,
  onSetJoining,
}: {
  session: SessionState | null;
  onRemove?: (participantId: string, name: string) => void;
  /** For the facilitator: open or close the board to new people. */
  onSetJoining?: (open: boolean) => void;
}) {
  if (!session) return null;
  const online = session.roster.filter((p) => p.online);
  const away = session.roster.filter((p) => !p.online);
  return (
    <section
      aria-labelledby="presence-heading"
      className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
    >
      <h2 id="presence-heading" className="mb-2 text-sm font-semibold uppercase tracking-wide text-slate-500">
        Here now ({online.length}){session.viewersOnline > 0 ? ` · ${session.viewersOnline} viewing` : ''}
      </h2>
      <ul className="space-y-1" data-testid="presence-list">
        {online.map((p) => (
          <li key={p.id} className="flex items-center gap-2">
            <span aria-hidden className="h-2.5 w-2.5 rounded-full bg-emerald-500" />
            <span className="truncate font-medium">{p.name}</span>
            {p.id === session.you?.participantId && <span className="text-sm text-slate-500">(you)</span>}
            {p.role === 'facilitator' && (
              <span className="rounded bg-blue-100 px-1.5 text-xs font-semibold text-blue-800">
                facilitator
              </span>
            )}
            {p.spectator && (
              <span className="rounded bg-slate-100 px-1.5 text-xs text-slate-700">not voting</span>
            )}
            {onRemove && p.id !== session.you?.participantId && (
              <button
                type="button"
                className="ml-auto rounded px-1.5 text-sm text-slate-400 hover:bg-red-50 hover:text-red-700"
                aria-label={`Remove ${p.name} from the board`}
                onClick={() => onRemove(p.id, p.name)}
              >
                ✕
              </button>
            )}
          </li>
        ))}
      </ul>
      {away.length > 0 && (
        <p className="mt-2 text-sm text-slate-600" data-testid="away-list">
          Away: {away.map((p) => p.name).join(', ')}
        </p>
      )}
      {onSetJoining ? (
        <label className="mt-3 flex items-center gap-2 border-t border-slate-100 pt-3 text-sm">
          <input
            type="checkbox"
            className="h-5 w-5"
            checked={!session.settings.joinClosed}
            onChange={(e) => onSetJoining(e.target.checked)}
          />
          New people can join (people who joined before can always come back)
        </label>
      ) : (
        session.settings.joinClosed && (
          <p className="mt-2 text-sm text-slate-500" data-testid="joining-closed">
            Closed to new people.
          </p>
        )
      )}
    </section>
  );
}
