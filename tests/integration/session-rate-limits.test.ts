import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { addEvidence, getCriteria } from '@/lib/board-schema';
import { LIMITS } from '@/lib/limits';
import { EVENTS, type JoinResult, type Result, type SessionState } from '@/lib/protocol';
import { newSecret } from '@/server/secrets';
import { TestClock } from '../helpers/clock';
import { command, TestEnv, type TestSocket } from '../helpers/server';
import { expectOk, joinBoard, type Member } from '../helpers/session';

let env: TestEnv;
let clock: TestClock;
beforeEach(async () => {
  // The clock stands still unless a test advances it: no bucket refills while commands fly.
  clock = new TestClock();
  env = await TestEnv.start({}, { now: clock.now });
});
afterEach(async () => {
  await env.cleanup();
});

type Ack = Result<SessionState>;
const refusedCount = (acks: Ack[]) => acks.filter((r) => !r.ok && r.error.code === 'rate_limited').length;
const send = (socket: TestSocket, event: string, payload: unknown) => command<Ack>(socket, event, payload);

/** The same participant on another connection (another tab or device). */
async function sameParticipant(m: Member, boardId: string, name: string): Promise<TestSocket> {
  const socket = env.socket();
  const r = await command<Result<JoinResult>>(socket, EVENTS.boardJoin, {
    as: 'participant',
    boardId,
    name,
    participantId: m.id,
    token: m.token,
  });
  expectOk(r);
  return socket;
}

describe('rate limits on the session channel', () => {
  it('[L6] one connection is limited, with a retry hint, and gets through again after the hinted wait', async () => {
    const socket = env.socket();
    const acks = await Promise.all(
      Array.from({ length: LIMITS.COMMAND_BURST_PER_CONNECTION + 5 }, () =>
        send(socket, EVENTS.participantRename, { name: 'x' }),
      ),
    );
    expect(refusedCount(acks)).toBe(5);
    const refused = acks.find((r) => !r.ok && r.error.code === 'rate_limited');
    const retryAfterMs = refused && !refused.ok ? (refused.error.retryAfterMs ?? 0) : 0;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(await send(socket, EVENTS.participantRename, { name: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'rate_limited' },
    });
    clock.advance(retryAfterMs);
    // Not rate limited any more (not joined, so refused for that reason).
    expect(await send(socket, EVENTS.participantRename, { name: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'not_joined' },
    });
  });

  it('one participant is limited across all their connections; another participant of the board is not', async () => {
    const board = await env.createBoard();
    const alice = await joinBoard(env, board.id, 'Alice');
    const bob = await joinBoard(env, board.id, 'Bob');
    const sockets = [
      alice.socket,
      await sameParticipant(alice, board.id, 'Alice'),
      await sameParticipant(alice, board.id, 'Alice'),
    ];
    const total = LIMITS.COMMAND_BURST_PER_PARTICIPANT + 9;
    // Each connection stays well under its own limit.
    expect(total / sockets.length).toBeLessThan(LIMITS.COMMAND_BURST_PER_CONNECTION);
    const acks = await Promise.all(
      Array.from({ length: total }, (_, i) =>
        send(sockets[i % sockets.length]!, EVENTS.participantSpectate, { spectator: i % 2 === 0 }),
      ),
    );
    expect(refusedCount(acks)).toBe(9);
    expect(acks.filter((r) => r.ok)).toHaveLength(LIMITS.COMMAND_BURST_PER_PARTICIPANT);
    const refused = acks.find((r) => !r.ok);
    expect(refused && !refused.ok && refused.error.retryAfterMs).toBeGreaterThan(0);
    expectOk(await bob.send(EVENTS.participantSpectate, { spectator: true }));
  });

  it('[L6] one board is limited across its participants; another board is not', async () => {
    const board = await env.createBoard();
    const per = LIMITS.COMMAND_BURST_PER_PARTICIPANT - 1;
    const people = Math.ceil(LIMITS.COMMAND_BURST_PER_BOARD / per) + 1;
    const members: Member[] = [];
    for (let i = 0; i < people; i++) members.push(await joinBoard(env, board.id, `P${i}`));
    const acks: Ack[] = [];
    for (const m of members) {
      acks.push(
        ...(await Promise.all(
          Array.from({ length: per }, (_, i) =>
            m.send(EVENTS.participantSpectate, { spectator: i % 2 === 0 }),
          ),
        )),
      );
    }
    expect(acks.filter((r) => r.ok)).toHaveLength(LIMITS.COMMAND_BURST_PER_BOARD);
    expect(refusedCount(acks)).toBe(people * per - LIMITS.COMMAND_BURST_PER_BOARD);

    const other = await env.createBoard();
    const carol = await joinBoard(env, other.id, 'Carol');
    expectOk(await carol.send(EVENTS.participantSpectate, { spectator: true }));
  });

  it('one client address is limited across its connections and boards; another address is not', async () => {
    const board = await env.createBoard();
    // Sockets that never join: their commands are refused (not_joined) after the rate check.
    const per = LIMITS.COMMAND_BURST_PER_CONNECTION;
    const sockets = Array.from({ length: Math.ceil(LIMITS.COMMAND_BURST_PER_ADDRESS / per) + 1 }, () =>
      env.socket(),
    );
    const acks: Ack[] = [];
    for (const s of sockets) {
      acks.push(...(await Promise.all(Array.from({ length: per }, () => send(s, EVENTS.timerStop, {})))));
    }
    expect(acks.filter((r) => !r.ok && r.error.code === 'not_joined')).toHaveLength(
      LIMITS.COMMAND_BURST_PER_ADDRESS,
    );
    expect(refusedCount(acks)).toBe(sockets.length * per - LIMITS.COMMAND_BURST_PER_ADDRESS);
    // A fresh connection from the same address is refused too, even a join.
    expect(
      await command<Result<JoinResult>>(env.socket(), EVENTS.boardJoin, {
        as: 'participant',
        boardId: board.id,
        name: 'Same address',
      }),
    ).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    // Another address joins and works.
    const remote = env.socket({ localAddress: '127.0.0.2' });
    const joined = await command<Result<JoinResult>>(remote, EVENTS.boardJoin, {
      as: 'participant',
      boardId: board.id,
      name: 'Remote',
    });
    expect(joined.ok).toBe(true);
    expectOk(await send(remote, EVENTS.participantSpectate, { spectator: true }));
  });
});

describe('evidence is capped per board', () => {
  it(`[L4] evidence:add past ${LIMITS.MAX_EVIDENCE_PER_BOARD} items on a board is refused with limit_reached and stores nothing`, async () => {
    const board = await env.createBoard();
    const alice = await joinBoard(env, board.id, 'Alice');
    const count = () =>
      env.server.yjs.withDoc(board.id, (room) =>
        getCriteria(room.doc)
          .toArray()
          .reduce((n, c) => n + ((c.get('evidence') as Y.Array<unknown> | undefined)?.length ?? 0), 0),
      );
    // Fill the board to one item short of the cap (the template brings its own evidence).
    const missing = LIMITS.MAX_EVIDENCE_PER_BOARD - 1 - (await count());
    await env.server.yjs.withDoc(board.id, (room) =>
      room.applyServerChange((doc) => {
        for (let i = 0; i < missing; i++) {
          addEvidence(doc, 'cost', {
            id: newSecret(),
            optionId: null,
            text: `filler ${i}`,
            origin: { type: 'participant', authorName: 'Filler' },
          });
        }
      }),
    );
    expect(await count()).toBe(LIMITS.MAX_EVIDENCE_PER_BOARD - 1);
    expectOk(
      await alice.send(EVENTS.evidenceAdd, { criterionId: 'cost', optionId: null, text: 'The last one' }),
    );
    expect(
      await alice.send(EVENTS.evidenceAdd, { criterionId: 'cost', optionId: null, text: 'Too many' }),
    ).toMatchObject({
      ok: false,
      error: {
        code: 'limit_reached',
        message: `a board holds at most ${LIMITS.MAX_EVIDENCE_PER_BOARD} evidence items`,
      },
    });
    expect(await count()).toBe(LIMITS.MAX_EVIDENCE_PER_BOARD);
  });
});
