'use client';

import type * as Y from 'yjs';
import { getNotes, setMetaText, setNotes } from '@/lib/board-schema';
import type { BoardSnapshot } from '@/lib/board-types';
import { LIMITS } from '@/lib/limits';
import { SharedTextField } from './shared-text-field';

/** Context for the record and free discussion notes, edited together. */
export function NotesPanel({
  doc,
  board,
  readOnly,
}: {
  doc: Y.Doc;
  board: BoardSnapshot;
  readOnly: boolean;
}) {
  const area =
    'w-full rounded-md border border-slate-300 px-2 py-1.5 disabled:bg-slate-100 disabled:text-slate-700';
  return (
    <section
      aria-labelledby="notes-heading"
      className="grid gap-4 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200 md:grid-cols-2"
    >
      <h2 id="notes-heading" className="sr-only">
        Context and notes
      </h2>
      <label className="block space-y-1">
        <span className="font-medium">Context</span>
        <textarea
          className={area}
          rows={4}
          value={board.context}
          maxLength={LIMITS.MAX_NOTES_CHARS}
          disabled={readOnly}
          placeholder="What is the situation, what constrains the choice?"
          onChange={(e) => setMetaText(doc, 'context', e.target.value)}
        />
      </label>
      <div className="block space-y-1">
        <span className="font-medium" aria-hidden>
          Discussion notes
        </span>
        <SharedTextField
          text={getNotes(doc)}
          read={() => getNotes(doc).toString()}
          write={(v) => setNotes(doc, v)}
          label="Discussion notes"
          rows={4}
          maxLength={LIMITS.MAX_NOTES_CHARS}
          readOnly={readOnly}
          placeholder="What came up while discussing the red cells?"
          className="border-slate-300"
        />
      </div>
    </section>
  );
}
