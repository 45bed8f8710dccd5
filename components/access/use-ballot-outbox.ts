'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import type { ABSTAIN, SessionState } from '@/lib/protocol';
import { ERROR_CODES, EVENTS } from '@/lib/protocol-constants';
import type { CommandSender } from '../use-commands';
import { announce } from './announce';

/** A score given while the session channel was down, kept on this device until it is sent. */
export interface QueuedBallot {
  roundId: string;
  roundNumber: number;
  criterionId: string;
  optionId: string;
  /** A score, `'abstain'` ("don't know"), or null to clear the cell. */
  value: number | typeof ABSTAIN | null;
  rationale: string;
  /** Names at the time of scoring, to tell the person which cell if it cannot be counted. */
  criterionName: string;
  optionName: string;
}

/** Refusals that resending will never fix: the ballot is dropped from the outbox and the person told. */
const FINAL_REFUSALS: ReadonlySet<string> = new Set([
  ERROR_CODES.ROUND_CLOSED,
  ERROR_CODES.NO_OPEN_ROUND,
  ERROR_CODES.BOARD_LOCKED,
  ERROR_CODES.UNKNOWN_CELL,
  ERROR_CODES.SPECTATOR,
  ERROR_CODES.OUT_OF_SCALE,
  ERROR_CODES.REMOVED,
  ERROR_CODES.FORBIDDEN,
]);

const storageKey = (participantId: string) => `decision-board:outbox:${participantId}`;

function load(participantId: string | null): QueuedBallot[] {
  if (!participantId) return [];
  try {
    const raw = window.localStorage.getItem(storageKey(participantId));
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed) ? (parsed as QueuedBallot[]) : [];
  } catch {
    return [];
  }
}

function store(participantId: string, queue: QueuedBallot[]): void {
  try {
    if (queue.length === 0) window.localStorage.removeItem(storageKey(participantId));
    else window.localStorage.setItem(storageKey(participantId), JSON.stringify(queue));
  } catch {
    // storage disabled: the queue lives as long as the page
  }
}

const sameCell = (a: QueuedBallot, b: QueuedBallot) =>
  a.roundId === b.roundId && a.criterionId === b.criterionId && a.optionId === b.optionId;

const describeBallot = (b: QueuedBallot) =>
  `${b.value === null ? 'clearing your score' : b.value === 'abstain' ? 'your “don’t know”' : `your score ${b.value}`} for ${b.optionName || 'an unnamed option'} on ${b.criterionName || 'an unnamed criterion'}`;

/**
 * Ballots survive a dropped connection: cast while offline (or when the server did not
 * answer), a ballot waits in this device's outbox (localStorage) and is sent again once the
 * session channel is back. A ballot is a value per cell, so sending it twice stores it once
 * (the server upserts). A ballot the server can no longer take — the round was revealed
 * meanwhile — is dropped and listed in `notCounted`, naming the cell. Built on the commands
 * API, not inside the transport.
 */
export function useBallotOutbox({
  session,
  connected,
  send,
}: {
  session: SessionState | null;
  connected: boolean;
  send: CommandSender;
}) {
  const participantId = session?.you?.participantId ?? null;
  const [queue, setQueue] = useState<QueuedBallot[]>([]);
  const [notCounted, setNotCounted] = useState<string[]>([]);
  const queueRef = useRef(queue);
  queueRef.current = queue;

  useEffect(() => setQueue(load(participantId)), [participantId]);

  const update = useCallback(
    (next: QueuedBallot[]) => {
      queueRef.current = next;
      setQueue(next);
      if (participantId) store(participantId, next);
    },
    [participantId],
  );

  const enqueue = useCallback(
    (b: QueuedBallot) => {
      update([...queueRef.current.filter((q) => !sameCell(q, b)), b]);
      announce(`Offline: ${describeBallot(b)} is kept on this device and will be sent when you reconnect.`);
    },
    [update],
  );

  /** Sends a ballot, or keeps it on the device when the connection is down. */
  const cast = useCallback(
    async (b: QueuedBallot): Promise<'sent' | 'queued' | 'refused'> => {
      if (!connected) {
        enqueue(b);
        return 'queued';
      }
      const r = await send(EVENTS.ballotCast, payloadOf(b));
      if (r.ok) {
        // A newer value for a cell supersedes one still waiting.
        if (queueRef.current.some((q) => sameCell(q, b)))
          update(queueRef.current.filter((q) => !sameCell(q, b)));
        return 'sent';
      }
      if (FINAL_REFUSALS.has(r.error.code) || r.error.code === ERROR_CODES.RATE_LIMITED) return 'refused';
      // No answer: the connection died on the way. Keep it; sending again is harmless.
      enqueue(b);
      return 'queued';
    },
    [connected, send, enqueue, update],
  );

  // Back online and joined again: send what waits, oldest first. Tried on every state the
  // server pushes, since the first one after a reconnect is the answer to the join.
  const flushing = useRef(false);
  const joined = connected && session !== null && participantId !== null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-run on each pushed state, on purpose
  useEffect(() => {
    if (!joined || flushing.current || queueRef.current.length === 0) return;
    flushing.current = true;
    void (async () => {
      const dropped: string[] = [];
      let sent = 0;
      for (const b of [...queueRef.current]) {
        const r = await send(EVENTS.ballotCast, payloadOf(b));
        if (r.ok) sent++;
        else if (FINAL_REFUSALS.has(r.error.code)) {
          dropped.push(
            `Not counted: ${describeBallot(b)} (round ${b.roundNumber}) — ${r.error.code === ERROR_CODES.ROUND_CLOSED ? 'the round was revealed before you reconnected' : r.error.message}.`,
          );
        } else break; // the connection dropped again: keep the rest for next time
        update(queueRef.current.filter((q) => !sameCell(q, b)));
      }
      flushing.current = false;
      if (dropped.length > 0) {
        setNotCounted((n) => [...n, ...dropped]);
        announce(dropped.join(' '));
      } else if (sent > 0) {
        announce(
          `${sent} score${sent === 1 ? '' : 's'} kept on this device ${sent === 1 ? 'was' : 'were'} sent.`,
        );
      }
    })();
  }, [joined, session, send, update]);

  return { queue, cast, notCounted, dismissNotCounted: () => setNotCounted([]) };
}

function payloadOf(b: QueuedBallot) {
  return {
    roundId: b.roundId,
    criterionId: b.criterionId,
    optionId: b.optionId,
    value: b.value,
    ...(b.rationale ? { rationale: b.rationale } : {}),
  };
}
