import type { Socket as NetSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AWAY_WITHIN_MS } from '@/lib/presence';
import { EVENTS, type SessionState } from '@/lib/protocol';
import { TestEnv, type TestSocket, waitFor } from '../helpers/server';
import { expectOk, joinBoard, type Member } from '../helpers/session';

let env: TestEnv;
afterEach(async () => {
  await env.cleanup();
});

/**
 * Makes a connected client go silent the way a phone that lost its Wi-Fi does: no close frame,
 * no pong, nothing. Its TCP socket stops reading, so it never sees the server's pings.
 */
function goSilent(socket: TestSocket): NetSocket {
  socket.io.reconnection(false);
  const transport = socket.io.engine.transport as unknown as { ws?: { _socket?: NetSocket } };
  const tcp = transport.ws?._socket;
  if (!tcp) throw new Error('no TCP socket under this client');
  tcp.pause();
  return tcp;
}

const onlineOf = (s: SessionState, id: string) => s.roster.find((p) => p.id === id)?.online;

async function boardWithFacilitator(): Promise<{ boardId: string; fac: Member }> {
  const board = await env.createBoard();
  const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
  return { boardId: board.id, fac };
}

describe('presence: a vanished phone is shown away', () => {
  it('[A5] a participant whose connection goes silent (no close, no pong) is shown away to the facilitator', async () => {
    env = await TestEnv.start();
    const { boardId, fac } = await boardWithFacilitator();
    const alice = await joinBoard(env, boardId, 'Alice');
    await waitFor(() => onlineOf(fac.latest(), alice.id) === true, 'Alice present');

    const tcp = goSilent(alice.socket);
    // Socket.IO's default heartbeat would take ~45 s; ours drops the silent connection within
    // AWAY_WITHIN_MS. The margin is for a busy machine, and still far below the default.
    await waitFor(() => onlineOf(fac.latest(), alice.id) === false, 'Alice away', AWAY_WITHIN_MS * 2);
    tcp.destroy();
  });
});

describe('resending a ballot from the device outbox', () => {
  it('[A6] the same ballot sent twice is stored once, with the same result', async () => {
    env = await TestEnv.start();
    const { boardId, fac } = await boardWithFacilitator();
    const alice = await joinBoard(env, boardId, 'Alice');
    const round = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds.at(-1);
    if (!round) throw new Error('no round');
    const ballot = {
      roundId: round.id,
      criterionId: 'performance',
      optionId: 'node',
      value: 4,
      rationale: 'fast',
    };

    const first = expectOk(await alice.send<SessionState>(EVENTS.ballotCast, ballot));
    // The ack was lost on the way (the phone went offline): the outbox sends it again.
    const again = expectOk(await alice.send<SessionState>(EVENTS.ballotCast, ballot));
    expect(again.rounds.at(-1)?.mine).toEqual(first.rounds.at(-1)?.mine);
    expect(again.rounds.at(-1)?.mine).toHaveLength(1);
    const stored = await env.server.store.listScores(boardId);
    expect(stored.filter((s) => s.participantId === alice.id)).toHaveLength(1);
  });

  it('[A6] a ballot resent after the reveal is refused as round_closed and changes nothing', async () => {
    env = await TestEnv.start();
    const { boardId, fac } = await boardWithFacilitator();
    const alice = await joinBoard(env, boardId, 'Alice');
    const round = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds.at(-1);
    if (!round) throw new Error('no round');
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: round.id }));

    const late = await alice.send(EVENTS.ballotCast, {
      roundId: round.id,
      criterionId: 'performance',
      optionId: 'node',
      value: 4,
    });
    expect(late).toMatchObject({ ok: false, error: { code: 'round_closed' } });
    expect(await env.server.store.listScores(boardId)).toEqual([]);
  });
});
