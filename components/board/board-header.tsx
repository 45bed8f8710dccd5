'use client';

import type * as Y from 'yjs';
import { getQuestion, readQuestion, setMetaText, setQuestion } from '@/lib/board-schema';
import type { BoardSnapshot } from '@/lib/board-types';
import { LIMITS } from '@/lib/limits';
import { EditableText } from './editable-text';
import { SharedTextField } from './shared-text-field';

/** Title and question, editable together. */
export function BoardHeader({
  doc,
  board,
  readOnly,
}: {
  doc: Y.Doc;
  board: BoardSnapshot;
  readOnly: boolean;
}) {
  return (
    <header className="space-y-1">
      <h1 className="sr-only">{board.title || 'Untitled decision'}</h1>
      <div className="text-3xl font-bold leading-tight sm:text-4xl">
        <EditableText
          value={board.title}
          onChange={(v) => setMetaText(doc, 'title', v)}
          label="Board title"
          maxLength={LIMITS.MAX_TITLE_CHARS}
          placeholder="Untitled decision"
          readOnly={readOnly}
          wrap
          className="font-bold"
        />
      </div>
      <div className="text-xl text-slate-700" data-testid="board-question">
        <SharedTextField
          text={getQuestion(doc)}
          read={() => readQuestion(doc)}
          write={(v) => setQuestion(doc, v)}
          label="Question"
          maxLength={LIMITS.MAX_QUESTION_CHARS}
          placeholder="What are we deciding?"
          readOnly={readOnly}
          singleLine
        />
      </div>
    </header>
  );
}
