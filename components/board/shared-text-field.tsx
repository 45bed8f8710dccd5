'use client';

import { useEffect, useRef } from 'react';
import type * as Y from 'yjs';

/**
 * Where a position in a text moves when a remote change (a Yjs delta) is applied before or
 * around it: insertions before it push it right; deletions before it pull it left.
 */
export function movePosition(position: number, delta: Y.YTextEvent['delta']): number {
  let index = 0;
  let at = position;
  for (const op of delta) {
    if (op.retain !== undefined) index += op.retain;
    else if (op.insert !== undefined) {
      const n = typeof op.insert === 'string' ? op.insert.length : 1;
      if (index < at) at += n;
      index += n;
    } else if (op.delete !== undefined) {
      if (index < at) at = index + Math.max(0, at - index - op.delete);
    }
  }
  return at;
}

/**
 * A textarea bound to a shared `Y.Text`: every keystroke is written as a character-level edit
 * (`write`), and other people's edits are merged in while keeping this person's cursor and
 * selection where they were in the text — two people typing in the same field both keep
 * their words. `read` gives what to show (e.g. a question still in `meta` on an older board).
 */
export function SharedTextField({
  text,
  read,
  write,
  label,
  maxLength,
  placeholder,
  readOnly,
  singleLine,
  rows = 2,
  className = '',
  testId,
}: {
  text: Y.Text;
  read: () => string;
  write: (value: string) => void;
  label: string;
  maxLength: number;
  placeholder?: string;
  readOnly?: boolean;
  /** Wraps like a paragraph but stays one line: Enter leaves the field. */
  singleLine?: boolean;
  rows?: number;
  className?: string;
  testId?: string;
}) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const readRef = useRef(read);
  readRef.current = read;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the textarea mounts again when readOnly flips
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.value = readRef.current();
    const onText = (event: Y.YTextEvent, tr: Y.Transaction) => {
      if (tr.local && el.value === readRef.current()) return; // our own typing: already shown
      const focused = document.activeElement === el;
      const start = movePosition(el.selectionStart, event.delta);
      const end = movePosition(el.selectionEnd, event.delta);
      el.value = readRef.current();
      if (focused) el.setSelectionRange(start, end);
    };
    text.observe(onText);
    // Anything else the shown value depends on (an older board's meta.question, a resync).
    const refresh = () => {
      if (document.activeElement !== el) el.value = readRef.current();
    };
    text.doc?.on('afterTransaction', refresh);
    return () => {
      text.unobserve(onText);
      text.doc?.off('afterTransaction', refresh);
    };
  }, [text, readOnly]);

  if (readOnly) {
    const value = read();
    return (
      <span className={`block whitespace-pre-wrap px-2 py-1 ${className}`} data-testid={testId}>
        {value || <span className="text-slate-600">{placeholder}</span>}
      </span>
    );
  }
  return (
    <textarea
      ref={ref}
      aria-label={label}
      data-testid={testId}
      maxLength={maxLength}
      placeholder={placeholder}
      rows={singleLine ? 1 : rows}
      onInput={(e) => {
        const el = e.currentTarget;
        if (singleLine && /[\r\n]/.test(el.value)) {
          const caret = el.selectionStart;
          el.value = el.value.replace(/[\r\n]+/g, ' ');
          el.setSelectionRange(caret, caret);
        }
        write(el.value);
      }}
      onKeyDown={(e) => {
        if (singleLine && (e.key === 'Enter' || e.key === 'Escape')) {
          e.preventDefault();
          e.currentTarget.blur();
        }
      }}
      className={`w-full rounded-md border border-transparent bg-transparent px-2 py-1 hover:border-slate-300 focus:border-blue-500 focus:bg-white ${singleLine ? 'field-sizing-content resize-none' : 'resize-y'} ${className}`}
    />
  );
}
