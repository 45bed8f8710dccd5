import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENTS, type SessionState } from '@/lib/protocol';
import { TestEnv } from '../helpers/server';
import { expectOk, joinBoard, until } from '../helpers/session';

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

describe('follow the facilitator and the timer at the reveal', () => {
  it('[R2] only the facilitator brings everyone somewhere; everyone receives it; a bad target changes nothing', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    expect(alice.latest().settings.summon).toBeNull();
    const refused = await alice.send(EVENTS.boardSummon, { target: 'matrix' });
    expect(refused.ok || refused.error.code).toBe('not_facilitator');
    const bad = await fac.send(EVENTS.boardSummon, { target: 'elsewhere' });
    expect(bad.ok || bad.error.code).toBe('bad_request');
    expect(fac.latest().settings.summon).toBeNull();

    expectOk(await fac.send(EVENTS.boardSummon, { target: 'matrix' }));
    const s = await until(alice, (st) => st.settings.summon !== null, 'alice summoned');
    expect(s.settings.summon).toEqual({ target: 'matrix', seq: 1 });
    expectOk(await fac.send(EVENTS.boardSummon, { target: 'matrix' }));
    await until(alice, (st) => st.settings.summon?.seq === 2, 'a second summon to the same place is new');
  });

  it('[R2] the countdown stops when the round is revealed', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const roundId = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds[0]!
      .id;
    expect(
      expectOk(await fac.send<SessionState>(EVENTS.timerStart, { seconds: 300 })).settings.timer,
    ).not.toBeNull();
    const revealed = expectOk(await fac.send<SessionState>(EVENTS.roundReveal, { roundId }));
    expect(revealed.settings.timer).toBeNull();
  });
});
