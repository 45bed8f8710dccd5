'use client';

import type { KeyboardEvent } from 'react';

interface EditableTextProps {
  value: string;
  onChange: (value: string) => void;
  label: string;
  maxLength: number;
  placeholder?: string;
  readOnly?: boolean;
  multiline?: boolean;
  /** Wraps like a paragraph (grows with its text) but stays one line: Enter leaves the field. */
  wrap?: boolean;
  className?: string;
}

/**
 * A text field bound to one document value. Each keystroke is written to the shared
 * document (last writer wins per field); rendered as text, never as HTML.
 */
export function EditableText({
  value,
  onChange,
  label,
  maxLength,
  placeholder,
  readOnly,
  multiline,
  wrap,
  className = '',
}: EditableTextProps) {
  const base = `w-full rounded-md border border-transparent bg-transparent px-2 py-1 hover:border-slate-300 focus:border-blue-500 focus:bg-white disabled:hover:border-transparent ${className}`;
  const blurOnEnter = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter' || e.key === 'Escape') e.currentTarget.blur();
  };
  if (readOnly) {
    return (
      <span className={`block px-2 py-1 ${className}`}>
        {value || <span className="text-slate-400">{placeholder}</span>}
      </span>
    );
  }
  if (wrap) {
    return (
      <textarea
        aria-label={label}
        value={value}
        maxLength={maxLength}
        placeholder={placeholder}
        rows={1}
        onChange={(e) => onChange(e.target.value.replace(/[\r\n]+/g, ' '))}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === 'Escape') {
            e.preventDefault();
            e.currentTarget.blur();
          }
        }}
        className={`${base} field-sizing-content resize-none`}
      />
    );
  }
  return multiline ? (
    <textarea
      aria-label={label}
      value={value}
      maxLength={maxLength}
      placeholder={placeholder}
      rows={2}
      onChange={(e) => onChange(e.target.value)}
      className={`${base} resize-y`}
    />
  ) : (
    <input
      aria-label={label}
      value={value}
      maxLength={maxLength}
      placeholder={placeholder}
      onChange={(e) => onChange(e.target.value)}
      onKeyDown={blurOnEnter}
      className={base}
    />
  );
}
