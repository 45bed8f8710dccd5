'use client';

import { useState } from 'react';

function CopyField({
  label,
  value,
  testId,
  note,
}: {
  label: string;
  value: string;
  testId: string;
  note?: string;
}) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      // Clipboard blocked (e.g. insecure context): the field is selectable as a fallback.
    }
  }
  return (
    <div className="space-y-1">
      <label className="text-sm font-medium text-slate-700" htmlFor={testId}>
        {label}
      </label>
      <div className="flex gap-2">
        <input
          id={testId}
          data-testid={testId}
          readOnly
          value={value}
          onFocus={(e) => e.currentTarget.select()}
          className="min-w-0 flex-1 rounded-md border border-slate-300 bg-slate-50 px-2 py-1 font-mono text-sm"
        />
        <button
          type="button"
          onClick={copy}
          className="rounded-md bg-slate-800 px-3 py-1 text-sm font-semibold text-white hover:bg-slate-700"
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      {note && <p className="text-xs text-slate-500">{note}</p>}
    </div>
  );
}

/** The links to this board. The facilitator link is shown only to the facilitator. */
export function SharePanel({
  participantLink,
  facilitatorLink,
}: {
  participantLink: string;
  facilitatorLink: string | null;
}) {
  return (
    <section
      aria-labelledby="share-heading"
      className="space-y-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
    >
      <h2 id="share-heading" className="text-sm font-semibold uppercase tracking-wide text-slate-500">
        Invite
      </h2>
      <CopyField
        label="Participant link"
        value={participantLink}
        testId="participant-link"
        note="Anyone with this link can join and score."
      />
      {facilitatorLink && (
        <CopyField
          label="Facilitator link (private)"
          value={facilitatorLink}
          testId="facilitator-link"
          note="Keep this to yourself: it lets you run rounds and finalize."
        />
      )}
    </section>
  );
}
