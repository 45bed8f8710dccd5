import { EVENTS, type JoinResult, type Result, type SessionState } from '@/lib/protocol';
import { applySessionPatch, type SessionPatch, unpackValue } from '@/lib/session-patch';
import { command, type TestEnv, type TestSocket, waitFor } from './server';

/**
 * What one connection received on the session channel: every state it could reconstruct
 * (the join state, then one per `session:patch`, applied with the client's own
 * `applySessionPatch`), and every message as it came, long arrays unpacked (privacy checks read these: a value
 * overwritten by a later patch is gone from the states but was still received).
 */
export interface SessionTrace {
  states: SessionState[];
  raw: unknown[];
  latest(): SessionState | undefined;
  /** The join state; patches before it are kept in `raw` only. */
  seed(state: SessionState): void;
}

export function traceSession(socket: TestSocket): SessionTrace {
  const states: SessionState[] = [];
  const raw: unknown[] = [];
  socket.on(EVENTS.sessionState, (s) => {
    raw.push(s);
    states.push(s);
  });
  socket.on(EVENTS.sessionPatch, (wire: SessionPatch) => {
    // Unpacked (long uniform arrays come packed by column): the same values, easier to check.
    const p = unpackValue(wire) as SessionPatch;
    raw.push(p);
    const last = states.at(-1);
    if (last) states.push(applySessionPatch(last, p));
  });
  return {
    states,
    raw,
    latest: () => states.at(-1),
    seed: (s) => {
      raw.push(s);
      states.push(s);
    },
  };
}

/** Joins with `payload`, seeding `trace` with the join state as the acknowledgement arrives. */
export function joinTraced(
  socket: TestSocket,
  trace: SessionTrace,
  payload: Record<string, unknown>,
): Promise<Result<JoinResult>> {
  return new Promise((resolve) => {
    (socket.emit as (e: string, p: unknown, ack: (r: Result<JoinResult>) => void) => void)(
      EVENTS.boardJoin,
      payload,
      (r) => {
        // Synchronously, before any patch that came in the same read is handled.
        if (r.ok) trace.seed(r.data.state);
        resolve(r);
      },
    );
  });
}

/** A joined session client: its socket, the latest state it was pushed, and its id. */
export interface Member {
  socket: TestSocket;
  id: string;
  token: string;
  latest(): SessionState;
  states: SessionState[];
  /** Every message of the session state as received (join state and patches). */
  raw: unknown[];
  /**
   * Sends a command and returns its acknowledgement; an ok one carries the state after the
   * command (its patch arrives before the acknowledgement), as the browser's `useCommands` does.
   */
  send<T = SessionState>(event: string, payload?: unknown): Promise<Result<T>>;
}

export async function joinBoard(
  env: Pick<TestEnv, 'socket'>,
  boardId: string,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<Member> {
  const socket = env.socket();
  const trace = traceSession(socket);
  const joined = await joinTraced(socket, trace, {
    as: 'participant',
    boardId,
    name,
    ...extra,
  });
  if (!joined.ok) throw new Error(`join failed: ${joined.error.message}`);
  const id = joined.data.state.you?.participantId ?? '';
  const latest = () => trace.latest()!;
  return {
    socket,
    id,
    token: joined.data.credentials?.token ?? '',
    states: trace.states,
    raw: trace.raw,
    latest,
    send: async <T>(event: string, payload: unknown = {}) => {
      const r = await command<Result<unknown>>(socket, event, payload);
      return (r.ok ? { ok: true, data: latest() } : r) as Result<T>;
    },
  };
}

/** Waits until a member's pushed state satisfies `check`. */
export async function until(
  member: Member,
  check: (s: SessionState) => boolean,
  what: string,
): Promise<SessionState> {
  await waitFor(() => check(member.latest()), what);
  return member.latest();
}

export function expectOk<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.data;
}

/** The cells of the default template (lib/templates/django-vs-node.json). */
export const DEFAULT_CRITERIA = [
  'performance',
  'scalability',
  'real-time-and-concurrency',
  'learning-curve',
  'development-speed',
  'security',
  'ecosystem',
  'flexibility',
  'documentation',
  'full-stack-language',
  'data-heavy-fit',
  'cost',
];
export const DEFAULT_OPTIONS = ['django', 'node'];

/** Scores every cell of the default template, `value(criterion, option)` each, and expects each ack ok. */
export async function scoreAll(
  m: Member,
  roundId: string,
  value: (criterionId: string, optionId: string) => number,
  rationale = '',
): Promise<void> {
  for (const criterionId of DEFAULT_CRITERIA) {
    for (const optionId of DEFAULT_OPTIONS) {
      expectOk(
        await m.send(EVENTS.ballotCast, {
          roundId,
          criterionId,
          optionId,
          value: value(criterionId, optionId),
          ...(rationale ? { rationale } : {}),
        }),
      );
    }
  }
}

/** A board with its facilitator (Fran) and two participants (Alice, Bob), all joined. */
export async function boardWithThree(env: TestEnv) {
  const board = await env.createBoard();
  const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
  const alice = await joinBoard(env, board.id, 'Alice');
  const bob = await joinBoard(env, board.id, 'Bob');
  return { board, fac, alice, bob };
}

/** Starts a round as the facilitator (blind unless `payload` says otherwise); its id. */
export async function startRound(
  fac: Member,
  payload: Record<string, unknown> = { mode: 'blind' },
): Promise<string> {
  const state = expectOk(await fac.send<SessionState>(EVENTS.roundStart, payload));
  return state.rounds.at(-1)!.id;
}
