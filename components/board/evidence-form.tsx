'use client';

import { type FormEvent, useState } from 'react';
import type { OptionSnapshot } from '@/lib/board-types';
import { LIMITS } from '@/lib/limits';
import { EVENTS } from '@/lib/protocol-constants';
import type { CommandSender } from '../use-commands';

/** Adds a participant's own evidence; the server validates it and writes it to the board. */
export function EvidenceForm({
  criterionId,
  options,
  send,
}: {
  criterionId: string;
  options: OptionSnapshot[];
  send: CommandSender;
}) {
  const [optionId, setOptionId] = useState<string>(options[0]?.id ?? '');
  const [text, setText] = useState('');
  const [url, setUrl] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const result = await send(EVENTS.evidenceAdd, {
      criterionId,
      optionId: optionId === '' ? null : optionId,
      text: text.trim(),
      ...(url.trim() ? { url: withScheme(url.trim()) } : {}),
    });
    setBusy(false);
    if (result.ok) {
      setText('');
      setUrl('');
      setError(null);
    } else setError(result.error.message);
  }

  return (
    <form
      onSubmit={submit}
      className="mt-2 grid gap-2 rounded-md bg-white p-2 ring-1 ring-slate-200 sm:grid-cols-[10rem_1fr]"
      aria-label="Add evidence"
    >
      <label className="text-sm">
        <span className="sr-only">About</span>
        <select
          value={optionId}
          onChange={(e) => setOptionId(e.target.value)}
          className="w-full rounded-md border border-slate-300 px-2 py-1"
        >
          {options.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name || 'Unnamed option'}
            </option>
          ))}
          <option value="">Both / comparison</option>
        </select>
      </label>
      <input
        value={text}
        onChange={(e) => setText(e.target.value.replace(/[\r\n]/g, ' '))}
        maxLength={LIMITS.MAX_EVIDENCE_CHARS}
        placeholder="Add a claim, a benchmark, an experience…"
        aria-label="Evidence text"
        className="rounded-md border border-slate-300 px-2 py-1 text-sm"
      />
      <input
        value={url}
        onChange={(e) => setUrl(e.target.value)}
        maxLength={LIMITS.MAX_URL_CHARS}
        placeholder="https://… (optional)"
        aria-label="Evidence link"
        inputMode="url"
        className="rounded-md border border-slate-300 px-2 py-1 text-sm sm:col-start-2"
      />
      <div className="flex items-center gap-2 sm:col-start-2">
        <button
          type="submit"
          disabled={busy || !text.trim()}
          className="rounded-md bg-slate-800 px-3 py-1 text-sm font-semibold text-white disabled:opacity-40"
        >
          Add evidence
        </button>
        {error && (
          <span role="alert" className="text-sm text-red-700">
            {error}
          </span>
        )}
      </div>
    </form>
  );
}

/** "example.com/page" means https://example.com/page; a link with a scheme is left as typed. */
export function withScheme(url: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `https://${url}`;
}
