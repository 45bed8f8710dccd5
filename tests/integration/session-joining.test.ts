import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '@/lib/limits';
import { EVENTS, type JoinResult, type Result, type SessionState } from '@/lib/protocol';
import { hashSecret, newSecret } from '@/server/secrets';
import { TestClock } from '../helpers/clock';
import { command, TestEnv, type TestSocket, waitFor } from '../helpers/server';
import { expectOk, joinBoard } from '../helpers/session';

let env: TestEnv;
afterEach(async () => {
  await env.cleanup();
});

const join = (socket: TestSocket, payload: Record<string, unknown>) =>
  command<Result<JoinResult>>(socket, EVENTS.boardJoin, payload);

/** Every Socket.IO packet a client receives, as text. */
function recordPackets(socket: TestSocket): string[] {
  const packets: string[] = [];
  socket.io.on('open', () => {
    socket.io.engine.on('packet', (p: { data?: unknown }) => packets.push(JSON.stringify(p.data ?? '')));
  });
  return packets;
}

describe('joining: one board and one role per connection', () => {
  it.each([
    ['viewer first', 'viewer'],
    ['participant first', 'participant'],
  ] as const)(
    '[R8] two joins sent in the same tick (%s): the second is refused and a viewer of another board never receives its id',
    async (_what, first) => {
      env = await TestEnv.start();
      const victim = await env.createBoard();
      const own = await env.createBoard();
      const socket = env.socket();
      const packets = recordPackets(socket);
      await new Promise<void>((r) => socket.once('connect', () => r()));

      const asViewer = { as: 'viewer', viewerKey: victim.viewerKey };
      const asParticipant = { as: 'participant', boardId: own.id, name: 'Mallory' };
      // Both emitted before either is answered: the server sees them in the same tick.
      const [a, b] = await Promise.all(
        first === 'viewer'
          ? [join(socket, asViewer), join(socket, asParticipant)]
          : [join(socket, asParticipant), join(socket, asViewer)],
      );
      expect(a.ok).toBe(true);
      expect(b).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      // The refused join stored nothing.
      if (first === 'viewer') expect(await env.server.store.listParticipants(own.id)).toEqual([]);

      // Activity on both boards: every state this connection is pushed is rendered for its one role.
      const fac = await joinBoard(env, victim.id, 'Fran', { facilitatorKey: victim.facilitatorKey });
      await joinBoard(env, own.id, 'Someone');
      expectOk(await fac.send(EVENTS.timerStart, { seconds: 60 }));
      if (first === 'viewer') {
        await waitFor(() => packets.some((p) => p.includes('endsAt')), 'the viewer sees the timer');
      }
      expect(packets.join('\n')).not.toContain(victim.id);
    },
  );

  it('a failed join leaves the connection free to join again', async () => {
    env = await TestEnv.start();
    const board = await env.createBoard();
    const socket = env.socket();
    expect(await join(socket, { as: 'viewer', viewerKey: 'C'.repeat(22) })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect((await join(socket, { as: 'participant', boardId: board.id, name: 'Ann' })).ok).toBe(true);
  });
});

describe('joining: seats and closing', () => {
  it('[R9] a removed participant frees its seat for someone new', async () => {
    env = await TestEnv.start();
    const board = await env.createBoard();
    // Fill the board to one seat short, straight in storage (as scripted joins would).
    const bots: string[] = [];
    for (let i = 0; i < LIMITS.MAX_PARTICIPANTS_PER_BOARD - 1; i++) {
      const id = newSecret();
      bots.push(id);
      await env.server.store.addParticipant({
        id,
        boardId: board.id,
        name: `bot ${i}`,
        tokenHash: hashSecret(newSecret()),
        createdAt: new Date().toISOString(),
        spectator: false,
        removed: false,
      });
    }
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    expect(
      await join(env.socket(), { as: 'participant', boardId: board.id, name: 'Colleague' }),
    ).toMatchObject({ ok: false, error: { code: 'board_full' } });
    expectOk(await fac.send(EVENTS.participantRemove, { participantId: bots[0] }));
    const colleague = await join(env.socket(), { as: 'participant', boardId: board.id, name: 'Colleague' });
    expect(colleague.ok).toBe(true);
    // And the board is full again.
    expect(
      await join(env.socket(), { as: 'participant', boardId: board.id, name: 'One more' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'board_full' },
    });
  });

  it('[R9] with joining closed a newcomer gets joining_closed and nothing is stored, while people who joined before come back; reopening lets newcomers in', async () => {
    env = await TestEnv.start();
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    expect(await alice.send(EVENTS.boardSetJoining, { open: false })).toMatchObject({
      ok: false,
      error: { code: 'not_facilitator' },
    });
    expect(await fac.send(EVENTS.boardSetJoining, { open: 'no' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    const closed = expectOk(await fac.send<SessionState>(EVENTS.boardSetJoining, { open: false }));
    expect(closed.settings.joinClosed).toBe(true);
    expect((await env.server.store.getSettings(board.id)).joinClosed).toBe(true);

    const newcomer = await join(env.socket(), { as: 'participant', boardId: board.id, name: 'Late' });
    expect(newcomer).toMatchObject({ ok: false, error: { code: 'joining_closed' } });
    expect((await env.server.store.listParticipants(board.id)).map((p) => p.name).sort()).toEqual([
      'Alice',
      'Fran',
    ]);
    // Alice on another device, with her credentials; the facilitator key also still gets in.
    const back = await join(env.socket(), {
      as: 'participant',
      boardId: board.id,
      name: 'Alice',
      participantId: alice.id,
      token: alice.token,
    });
    expect(back.ok && back.data.state.you?.participantId).toBe(alice.id);
    const facElsewhere = await join(env.socket(), {
      as: 'participant',
      boardId: board.id,
      name: 'Fran on the phone',
      facilitatorKey: board.facilitatorKey,
    });
    expect(facElsewhere.ok && facElsewhere.data.state.role).toBe('facilitator');
    // Viewers take no seat and are not affected.
    expect((await join(env.socket(), { as: 'viewer', viewerKey: board.viewerKey })).ok).toBe(true);

    expectOk(await fac.send(EVENTS.boardSetJoining, { open: true }));
    expect((await join(env.socket(), { as: 'participant', boardId: board.id, name: 'Late' })).ok).toBe(true);
  });

  it('[L6] new participants from one address are rate limited only past a workshop-sized burst, with a retry hint; returning people are not', async () => {
    const clock = new TestClock();
    env = await TestEnv.start({}, { now: clock.now });
    const board = await env.createBoard();
    const first = await joinBoard(env, board.id, 'Person 0');
    // A workshop behind one NAT: everyone joins at the same instant from one address.
    for (let i = 1; i < LIMITS.NEW_PARTICIPANT_BURST_PER_ADDRESS; i++) {
      expect(
        (await join(env.socket(), { as: 'participant', boardId: board.id, name: `Person ${i}` })).ok,
      ).toBe(true);
    }
    const refused = await join(env.socket(), { as: 'participant', boardId: board.id, name: 'One too many' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    const retryAfterMs = refused.ok ? 0 : (refused.error.retryAfterMs ?? 0);
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000 / LIMITS.NEW_PARTICIPANTS_PER_MINUTE_PER_ADDRESS);
    expect(await env.server.store.listParticipants(board.id)).toHaveLength(
      LIMITS.NEW_PARTICIPANT_BURST_PER_ADDRESS,
    );
    // Someone who joined before reconnects at once.
    const back = await join(env.socket(), {
      as: 'participant',
      boardId: board.id,
      name: 'Person 0',
      participantId: first.id,
      token: first.token,
    });
    expect(back.ok).toBe(true);
    // Another address is not held up.
    const elsewhere = await join(env.socket({ localAddress: '127.0.0.2' }), {
      as: 'participant',
      boardId: board.id,
      name: 'Remote',
    });
    expect(elsewhere.ok).toBe(true);
    // After the hinted wait, the next newcomer gets in.
    clock.advance(retryAfterMs);
    expect(
      (await join(env.socket(), { as: 'participant', boardId: board.id, name: 'One too many' })).ok,
    ).toBe(true);
  });
});
