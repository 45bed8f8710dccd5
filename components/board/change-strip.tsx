'use client';

import type { ChangeEntry } from '../use-change-log';

/** "Who changed what" to the options, criteria and weights, newest first (see use-change-log). */
export function ChangeStrip({ entries }: { entries: ChangeEntry[] }) {
  if (entries.length === 0) return null;
  return (
    <section aria-label="Recent changes to criteria, options and weights" className="text-sm">
      <ul className="flex flex-wrap gap-2" data-testid="change-strip">
        {entries.map((e) => (
          <li
            key={e.key}
            className="rounded-full bg-slate-100 px-3 py-1 text-slate-800 ring-1 ring-slate-200"
          >
            <strong>{e.who}</strong> {e.what}
            <span className="text-slate-500">
              {' '}
              · {new Date(e.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
