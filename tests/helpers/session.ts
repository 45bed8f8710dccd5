import { EVENTS, type JoinResult, type Result, type SessionState } from '@/lib/protocol';
import { command, type TestEnv, type TestSocket, waitFor } from './server';

/** A joined session client: its socket, the latest state it was pushed, and its id. */
export interface Member {
  socket: TestSocket;
  id: string;
  token: string;
  latest(): SessionState;
  states: SessionState[];
  /** Sends a command and returns its acknowledgement. */
  send<T = SessionState>(event: string, payload?: unknown): Promise<Result<T>>;
}

export async function joinBoard(
  env: TestEnv,
  boardId: string,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<Member> {
  const socket = env.socket();
  const states: SessionState[] = [];
  socket.on(EVENTS.sessionState, (s) => states.push(s));
  const joined = await command<Result<JoinResult>>(socket, EVENTS.boardJoin, {
    as: 'participant',
    boardId,
    name,
    ...extra,
  });
  if (!joined.ok) throw new Error(`join failed: ${joined.error.message}`);
  states.push(joined.data.state);
  const id = joined.data.state.you?.participantId ?? '';
  return {
    socket,
    id,
    token: joined.data.credentials?.token ?? '',
    states,
    latest: () => states[states.length - 1]!,
    send: <T>(event: string, payload: unknown = {}) => command<Result<T>>(socket, event, payload),
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
