import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setMetaText } from '@/lib/board-schema';
import { LIMITS } from '@/lib/limits';
import { EVENTS, type JoinResult, type Result } from '@/lib/protocol';
import { command, TestEnv, waitFor } from '../helpers/server';
import { joinTraced, traceSession } from '../helpers/session';

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

describe('session channel: joining and presence', () => {
  it('participants join with a display name and see each other in the roster, live', async () => {
    const board = await env.createBoard();
    const alice = env.socket();
    const bob = env.socket();
    const aliceTrace = traceSession(alice);
    const aliceStates = aliceTrace.states;

    const a = await joinTraced(alice, aliceTrace, {
      as: 'participant',
      boardId: board.id,
      name: 'Alice',
      facilitatorKey: board.facilitatorKey,
    });
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    expect(a.data.state.role).toBe('facilitator');
    expect(a.data.credentials?.token).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const b = await command<Result<JoinResult>>(bob, EVENTS.boardJoin, {
      as: 'participant',
      boardId: board.id,
      name: 'Bob',
    });
    expect(b.ok && b.data.state.role).toBe('participant');
    await waitFor(
      () => aliceStates.some((s) => s.roster.some((p) => p.name === 'Bob' && p.online)),
      'alice sees bob',
    );

    bob.disconnect();
    await waitFor(
      () => aliceStates.at(-1)?.roster.find((p) => p.name === 'Bob')?.online === false,
      'alice sees bob leave',
    );
  });

  it('a participant re-joins as the same person with its token; a wrong token is refused', async () => {
    const board = await env.createBoard();
    const first = await command<Result<JoinResult>>(env.socket(), EVENTS.boardJoin, {
      as: 'participant',
      boardId: board.id,
      name: 'Carol',
    });
    if (!first.ok || !first.data.credentials) throw new Error('join failed');
    const { participantId, token } = first.data.credentials;
    const again = await command<Result<JoinResult>>(env.socket(), EVENTS.boardJoin, {
      as: 'participant',
      boardId: board.id,
      name: 'Carol B.',
      participantId,
      token,
    });
    expect(again.ok && again.data.state.you).toEqual({ participantId, name: 'Carol B.' });
    expect(again.ok && again.data.credentials).toBeUndefined();

    const forged = await command<Result<JoinResult>>(env.socket(), EVENTS.boardJoin, {
      as: 'participant',
      boardId: board.id,
      name: 'Mallory',
      participantId,
      token: 'x'.repeat(22),
    });
    expect(forged).toMatchObject({ ok: false, error: { code: 'bad_token' } });
    expect((await env.server.store.listParticipants(board.id)).map((p) => p.name)).toEqual(['Carol B.']);
  });

  it.each([
    ['an empty name', { name: '   ' }, 'bad_request'],
    ['an over-long name', { name: 'x'.repeat(LIMITS.MAX_DISPLAY_NAME_CHARS + 1) }, 'bad_request'],
    ['a name with control characters', { name: 'Eve\u0007' }, 'bad_request'],
    ['an unknown board', { boardId: 'AAAAAAAAAAAAAAAAAAAAAA' }, 'not_found'],
    ['a wrong facilitator key', { facilitatorKey: 'B'.repeat(22) }, 'bad_token'],
  ])('joining with %s is refused with a typed error and stores nothing', async (_what, patch, code) => {
    const board = await env.createBoard();
    const result = await command<Result<JoinResult>>(env.socket(), EVENTS.boardJoin, {
      as: 'participant',
      boardId: board.id,
      name: 'Dan',
      ...patch,
    });
    expect(result).toMatchObject({ ok: false, error: { code } });
    expect(await env.server.store.listParticipants(board.id)).toEqual([]);
  });

  it('a payload that is not an object is refused', async () => {
    const result = await command<Result<JoinResult>>(env.socket(), EVENTS.boardJoin, 'hello');
    expect(result).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('[D3] after the server commits a client’s edit, the board’s sockets are told its state vector (the save indicator)', async () => {
    const board = await env.createBoard();
    const socket = env.socket();
    let saved: Record<string, number> = {};
    socket.on(EVENTS.docSaved, (p) => {
      saved = p.stateVector;
    });
    await command(socket, EVENTS.boardJoin, { as: 'participant', boardId: board.id, name: 'Eve' });
    const { doc } = await env.provider(board.id);
    setMetaText(doc, 'title', 'Saved?');
    const clock = () => saved[String(doc.clientID)] ?? 0;
    await waitFor(() => clock() >= 1, 'saved notice for this client');
    const stored = await env.server.store.loadDocument(board.id);
    expect(stored.updates.length).toBeGreaterThan(1);
  });
});

describe('session channel: limits', () => {
  it('[L4] a message over the Socket.IO size cap closes only that connection; the server carries on', async () => {
    const board = await env.createBoard();
    const big = env.socket();
    await new Promise<void>((r) => big.once('connect', () => r()));
    let disconnected = false;
    big.on('disconnect', () => {
      disconnected = true;
    });
    big.io.opts.reconnection = false;
    big.emit(EVENTS.participantRename, { name: 'x'.repeat(LIMITS.MAX_SOCKET_MESSAGE_BYTES + 100) }, () => {});
    await waitFor(() => disconnected, 'oversized sender disconnected');
    const ok = await command<Result<JoinResult>>(env.socket(), EVENTS.boardJoin, {
      as: 'participant',
      boardId: board.id,
      name: 'Still here',
    });
    expect(ok.ok).toBe(true);
  });
});
