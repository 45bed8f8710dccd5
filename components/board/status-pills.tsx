'use client';

import type { ConnectionStatus, SaveStatus } from '../use-board-connection';

const CONNECTION: Record<ConnectionStatus, { text: string; dot: string }> = {
  connecting: { text: 'Connecting…', dot: 'bg-amber-400' },
  connected: { text: 'Connected', dot: 'bg-emerald-500' },
  reconnecting: { text: 'Reconnecting…', dot: 'bg-amber-500 animate-pulse' },
  offline: { text: 'Offline', dot: 'bg-red-500' },
};

const SAVE: Record<SaveStatus, string> = {
  saved: 'All changes saved',
  saving: 'Saving…',
  'unsaved-offline': 'Changes kept on this device; they will sync when you reconnect',
};

/** Connection and save state, in words as well as colour. */
export function StatusPills({
  connection,
  save,
  readOnly,
}: {
  connection: ConnectionStatus;
  save: SaveStatus;
  readOnly: boolean;
}) {
  const c = CONNECTION[connection];
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm" aria-live="polite">
      <span
        data-testid="connection-status"
        data-status={connection}
        className="inline-flex items-center gap-2 rounded-full bg-white px-3 py-1 shadow-sm ring-1 ring-slate-200"
      >
        <span aria-hidden className={`h-2.5 w-2.5 rounded-full ${c.dot}`} />
        {c.text}
      </span>
      {!readOnly && (
        <span
          data-testid="save-status"
          data-status={save}
          className={`inline-flex items-center gap-2 rounded-full px-3 py-1 shadow-sm ring-1 ${
            save === 'saved'
              ? 'bg-white ring-slate-200'
              : save === 'saving'
                ? 'bg-amber-50 ring-amber-200'
                : 'bg-red-50 ring-red-200 text-red-900'
          }`}
        >
          <span aria-hidden>{save === 'saved' ? '✓' : save === 'saving' ? '…' : '!'}</span>
          {SAVE[save]}
        </span>
      )}
    </div>
  );
}
