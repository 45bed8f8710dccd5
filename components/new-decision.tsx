'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { CreateBoardResponse } from '@/lib/protocol';
import { localStore } from './local-store';

type Pending =
  | { status: 'idle' }
  | { status: 'creating'; template: string }
  | { status: 'error'; message: string };

/** The home page's call to action: create a board and land on it as its facilitator. */
export function NewDecision() {
  const router = useRouter();
  const [pending, setPending] = useState<Pending>({ status: 'idle' });

  async function create(template: string) {
    setPending({ status: 'creating', template });
    try {
      const res = await fetch('/api/boards', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ template }),
      });
      const body = (await res.json()) as CreateBoardResponse | { error: { message: string } };
      if (!res.ok || 'error' in body) {
        throw new Error('error' in body ? body.error.message : `HTTP ${res.status}`);
      }
      localStore.setFacilitatorKey(body.id, body.facilitatorKey);
      router.push(`/b/${body.id}#key=${body.facilitatorKey}`);
    } catch (err) {
      setPending({ status: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }

  const busy = pending.status === 'creating';
  return (
    <div className="space-y-3">
      <div className="flex flex-col gap-3 sm:flex-row">
        <button
          type="button"
          onClick={() => create('django-vs-node')}
          disabled={busy}
          className="rounded-xl bg-blue-700 px-6 py-4 text-xl font-semibold text-white shadow hover:bg-blue-800 disabled:opacity-60"
        >
          {busy && pending.template === 'django-vs-node' ? 'Creating…' : 'New decision'}
        </button>
        <button
          type="button"
          onClick={() => create('blank')}
          disabled={busy}
          className="rounded-xl border-2 border-slate-300 bg-white px-6 py-4 text-xl font-semibold text-slate-800 hover:border-slate-400 disabled:opacity-60"
        >
          {busy && pending.template === 'blank' ? 'Creating…' : 'Start from a blank board'}
        </button>
      </div>
      <p className="text-slate-600">
        <strong>New decision</strong> starts with Django vs Node.js: twelve criteria and the claims of five
        published comparison articles, with their contradictions flagged.
      </p>
      {pending.status === 'error' && (
        <p role="alert" className="rounded-lg bg-red-50 p-3 text-red-800">
          Could not create the board: {pending.message}
        </p>
      )}
    </div>
  );
}
