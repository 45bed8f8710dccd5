'use client';

import { type FormEvent, useState } from 'react';
import { LIMITS } from '@/lib/limits';

/** Asks for a display name once; the page remembers it in this browser. */
export function JoinForm({
  initialName,
  boardTitle = null,
  onJoin,
}: {
  initialName: string;
  /** The board's title, when known, so people see what they are joining. */
  boardTitle?: string | null;
  onJoin: (name: string) => void;
}) {
  const [name, setName] = useState(initialName);
  const [error, setError] = useState<string | null>(null);
  function submit(e: FormEvent) {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return setError('Enter the name the others should see.');
    if (/\p{Cc}/u.test(trimmed)) return setError('Names cannot contain control characters.');
    onJoin(trimmed);
  }
  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center px-6">
      <form onSubmit={submit} className="space-y-4 rounded-2xl bg-white p-6 shadow ring-1 ring-slate-200">
        <h1 className="text-2xl font-bold">Join the decision</h1>
        {boardTitle && (
          <p className="text-xl font-semibold text-slate-800" data-testid="join-board-title">
            {boardTitle}
          </p>
        )}
        <label className="block space-y-1">
          <span className="font-medium">Your display name</span>
          <input
            // biome-ignore lint/a11y/noAutofocus: the only field on the page
            autoFocus
            name="displayName"
            value={name}
            maxLength={LIMITS.MAX_DISPLAY_NAME_CHARS}
            onChange={(e) => {
              setName(e.target.value);
              setError(null);
            }}
            className="w-full rounded-lg border border-slate-300 px-3 py-2 text-lg"
            autoComplete="nickname"
          />
        </label>
        {error && (
          <p role="alert" className="text-red-700">
            {error}
          </p>
        )}
        <button
          type="submit"
          className="w-full rounded-lg bg-blue-700 py-3 text-lg font-semibold text-white hover:bg-blue-800"
        >
          Join
        </button>
        <p className="text-sm text-slate-500">No account needed. Everyone on the board will see this name.</p>
      </form>
    </main>
  );
}
