'use client';

import { useState } from 'react';
import { QrCode } from './qr-code';

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
      // Clipboard blocked (e.g. plain http on a LAN address): the field is selectable instead.
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
          // Links differ only at their end (/b/…, #key=…, /v/…): show the end, not the shared host.
          ref={(el) => {
            if (el) el.scrollLeft = el.scrollWidth;
          }}
          className="min-w-0 flex-1 rounded-md border border-slate-300 bg-slate-50 px-2 py-1 font-mono text-sm"
        />
        <button
          type="button"
          onClick={copy}
          aria-label={`Copy ${label.toLowerCase()}`}
          className="rounded-md bg-slate-800 px-3 py-1 text-sm font-semibold text-white hover:bg-slate-700"
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      {note && <p className="text-xs text-slate-500">{note}</p>}
    </div>
  );
}

/**
 * The board's links: participant (with a QR code for phones) and viewer for everyone on
 * the board; the facilitator link only for the facilitator, marked private.
 */
export function SharePanel({
  participantLink,
  viewerLink,
  facilitatorLink,
}: {
  participantLink: string;
  viewerLink: string | null;
  facilitatorLink: string | null;
}) {
  const [showQr, setShowQr] = useState(false);
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
        note="Anyone with this link can join, edit and score."
      />
      <button
        type="button"
        className="text-sm font-semibold text-blue-700 underline"
        onClick={() => setShowQr((v) => !v)}
        aria-expanded={showQr}
      >
        {showQr ? 'Hide QR code' : 'Show QR code for phones'}
      </button>
      {showQr && (
        <div className="flex justify-center" data-testid="participant-qr">
          <QrCode text={participantLink} label="QR code of the participant link" />
        </div>
      )}
      {viewerLink && (
        <CopyField
          label="Viewer link"
          value={viewerLink}
          testId="viewer-link"
          note="Read-only: watch the board and the results, no editing or voting."
        />
      )}
      {viewerLink && (
        <a
          href={`${viewerLink}/present`}
          target="_blank"
          rel="noopener"
          className="block rounded-lg bg-slate-900 px-3 py-2 text-center font-semibold text-white hover:bg-slate-700"
          data-testid="presenter-link"
        >
          Open the presenter view (for the projector)
        </a>
      )}
      {facilitatorLink && (
        <CopyField
          label="Facilitator link (private)"
          value={facilitatorLink}
          testId="facilitator-link"
          note="Keep this to yourself: it runs rounds, locks and finalizes."
        />
      )}
    </section>
  );
}
