import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENTS, type SessionState } from '@/lib/protocol';
import { TestEnv } from '../helpers/server';
import { expectOk, joinBoard } from '../helpers/session';

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

describe('the document policy the session channel gives the document endpoint', () => {
  it('[R7] is null until the board’s session is loaded, then follows every command at once, with no await', async () => {
    const board = await env.createBoard();
    const session = env.server.session;
    expect(session.docPolicy(board.id)).toBeNull();
    expect(session.docPolicy('AAAAAAAAAAAAAAAAAAAAAA')).toBeNull();

    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    expect(session.docPolicy(board.id)).toMatchObject({
      writable: true,
      roundOpen: false,
      structureEditors: 'everyone',
    });
    // Facilitators are the people holding the role on a connection now.
    expect(session.docPolicy(board.id)!.isFacilitator(fac.id)).toBe(true);
    expect(session.docPolicy(board.id)!.isFacilitator(alice.id)).toBe(false);

    const roundId = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds[0]!
      .id;
    expect(session.docPolicy(board.id)).toMatchObject({ writable: true, roundOpen: true });
    expectOk(await fac.send(EVENTS.boardLock, {}));
    expect(session.docPolicy(board.id)).toMatchObject({ writable: false, roundOpen: true });
    expectOk(await fac.send(EVENTS.boardUnlock, {}));
    expect(session.docPolicy(board.id)).toMatchObject({ writable: true, roundOpen: true });
    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    expect(session.docPolicy(board.id)).toMatchObject({ writable: true, roundOpen: false });

    expect(await alice.send(EVENTS.boardSetStructureEditors, { editors: 'facilitator' })).toMatchObject({
      ok: false,
      error: { code: 'not_facilitator' },
    });
    expect(await fac.send(EVENTS.boardSetStructureEditors, { editors: 'nobody' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    const set = expectOk(
      await fac.send<SessionState>(EVENTS.boardSetStructureEditors, { editors: 'facilitator' }),
    );
    expect(set.settings.structureEditors).toBe('facilitator');
    expect(session.docPolicy(board.id)).toMatchObject({ structureEditors: 'facilitator' });
    expect((await env.server.store.getSettings(board.id)).structureEditors).toBe('facilitator');

    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    expect(session.docPolicy(board.id)).toMatchObject({
      writable: false,
      roundOpen: false,
      structureEditors: 'facilitator',
    });
    // The same for the older hook.
    expect(session.isWritable(board.id)).toBe(false);

    // After a restart the policy is back once the board is loaded again.
    await env.restart();
    expect(env.server.session.docPolicy(board.id)).toBeNull();
    await env.server.session.prepareBoard(board.id);
    expect(env.server.session.docPolicy(board.id)).toMatchObject({
      writable: false,
      roundOpen: false,
      structureEditors: 'facilitator',
    });
  });
});
