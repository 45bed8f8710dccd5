import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENTS, type RoundView, type SessionState } from '@/lib/protocol';
import { TestEnv } from '../helpers/server';
import {
  DEFAULT_CRITERIA,
  DEFAULT_OPTIONS,
  expectOk,
  joinBoard,
  type Member,
  scoreAll,
  until,
} from '../helpers/session';

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

async function startRound(fac: Member, payload: Record<string, unknown>): Promise<RoundView> {
  return expectOk(await fac.send<SessionState>(EVENTS.roundStart, payload)).rounds.at(-1)!;
}

async function reveal(fac: Member, roundId: string): Promise<RoundView> {
  return expectOk(await fac.send<SessionState>(EVENTS.roundReveal, { roundId })).rounds.find(
    (r) => r.id === roundId,
  )!;
}

/** A member's pseudonym in a revealed round, found the way only they can: from their own scores. */
function pseudonymOf(m: Member, roundId: string): string {
  const round = m.latest().rounds.find((r) => r.id === roundId)!;
  const own = round.mine[0]!;
  const match = round.scores!.filter(
    (s) =>
      s.criterionId === own.criterionId &&
      s.optionId === own.optionId &&
      s.value === own.value &&
      s.rationale === own.rationale,
  );
  expect(match).toHaveLength(1);
  return match[0]!.participantId;
}

describe('anonymous rounds', () => {
  it('[P3] pseudonyms follow neither the roster nor the joining order, and differ from round to round', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const people: Member[] = [];
    // Ten voters: a pseudonym order that happened to equal the joining order would be 1 in 10!.
    for (let i = 0; i < 10; i++) people.push(await joinBoard(env, board.id, `Person ${i}`));
    expectOk(await fac.send(EVENTS.participantSpectate, { spectator: true }));
    const order = async () => {
      const round = await startRound(fac, { mode: 'blind', anonymous: true });
      expect(round.anonymous).toBe(true);
      // Each person gives a value no one else gives on the first cell.
      for (const [i, p] of people.entries()) {
        expectOk(
          await p.send(EVENTS.ballotCast, {
            roundId: round.id,
            criterionId: DEFAULT_CRITERIA[0],
            optionId: DEFAULT_OPTIONS[0],
            value: 1 + (i % 5),
            rationale: `${i}`,
          }),
        );
      }
      await reveal(fac, round.id);
      for (const p of people) await until(p, (s) => s.rounds.at(-1)?.status === 'revealed', 'revealed');
      const scores = fac.latest().rounds.at(-1)!.scores!;
      // Only pseudonyms in the scores, never an id from the roster.
      expect(new Set(scores.map((s) => s.participantId)).size).toBe(10);
      for (const s of scores) expect(s.participantId).toMatch(/^anon-([1-9]|10)$/);
      const json = JSON.stringify(scores);
      for (const p of people) expect(json).not.toContain(p.id);
      // Ownership via rationale (the unique index each person wrote), as an observer reads it.
      return people.map((_p, i) => scores.find((s) => s.rationale === `${i}`)!.participantId);
    };
    const first = await order();
    const second = await order();
    const joining = people.map((_p, i) => `anon-${i + 1}`);
    expect(first).not.toEqual(joining);
    expect(second).not.toEqual(first);
    // Each person can still find their own pseudonym from their own scores.
    expect(people.map((p) => pseudonymOf(p, fac.latest().rounds.at(-1)!.id))).toEqual(second);
  });

  it('[P3] in an anonymous round, progress says who has finished but never how far, and revealed scores come in an order that says nothing about when they were cast', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    const bob = await joinBoard(env, board.id, 'Bob');
    const carol = await joinBoard(env, board.id, 'Carol');
    expectOk(await fac.send(EVENTS.participantSpectate, { spectator: true }));
    expectOk(await fac.send(EVENTS.boardSetAnonymous, { enabled: true }));
    const round = await startRound(fac, { mode: 'blind' });
    expect(round.anonymous).toBe(true);

    // Bob finishes, Alice scores three cells, Carol two: counts would tell them apart after the reveal.
    await scoreAll(bob, round.id, () => 4);
    for (const [m, n] of [
      [alice, 3],
      [carol, 2],
    ] as const) {
      for (const criterionId of DEFAULT_CRITERIA.slice(0, n)) {
        expectOk(
          await m.send(EVENTS.ballotCast, { roundId: round.id, criterionId, optionId: 'django', value: 2 }),
        );
      }
    }
    const open = await until(
      fac,
      (s) => s.rounds.at(-1)?.progress.find((p) => p.participantId === bob.id)?.done === true,
      'bob done',
    );
    const progress = open.rounds.at(-1)!.progress;
    expect(progress.map((p) => [p.participantId, p.done, p.scored])).toEqual(
      expect.arrayContaining([
        [alice.id, false, null],
        [bob.id, true, null],
        [carol.id, false, null],
      ]),
    );
    expect(open.rounds.at(-1)).toMatchObject({ voters: 3, finished: 1 });

    await reveal(fac, round.id);
    const revealed = await until(alice, (s) => s.rounds.at(-1)?.status === 'revealed', 'revealed');
    const view = revealed.rounds.at(-1)!;
    expect(view.progress).toEqual([]);
    expect(view).toMatchObject({ voters: 3, finished: 1 });
    // Sorted by pseudonym, then cell: not in the order the ballots came in.
    const keys = view.scores!.map(
      (s) => `${s.participantId.padStart(8, '0')} ${s.criterionId} ${s.optionId}`,
    );
    expect(keys).toEqual([...keys].sort());
    // No state any client received in this round carried a count of cells next to an id.
    for (const m of [fac, alice, bob, carol]) {
      for (const s of m.states) {
        for (const r of s.rounds.filter((x) => x.id === round.id)) {
          for (const p of r.progress) expect(p.scored).toBeNull();
        }
      }
    }
  });

  it('[P3] an open-mode anonymous round shows scores live but no per-person progress', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    const bob = await joinBoard(env, board.id, 'Bob');
    const round = await startRound(fac, { mode: 'open', anonymous: true });
    await scoreAll(alice, round.id, () => 3);
    const seen = await until(
      bob,
      (s) => (s.rounds.at(-1)?.scores?.length ?? 0) === 24,
      'bob sees the live scores',
    );
    const view = seen.rounds.at(-1)!;
    expect(view.progress).toEqual([]);
    expect(view).toMatchObject({ finished: 1 });
    expect(JSON.stringify(view.scores)).not.toContain(alice.id);
  });

  it('[P4] switching the board’s anonymity off never unmasks a round revealed anonymously; it only sets the default for the next round', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    expectOk(await fac.send(EVENTS.boardSetAnonymous, { enabled: true }));
    const first = await startRound(fac, { mode: 'blind' });
    await scoreAll(alice, first.id, () => 5);
    await reveal(fac, first.id);
    const before = fac.latest().rounds[0]!.scores!;
    expect(before.every((s) => /^anon-\d+$/.test(s.participantId))).toBe(true);

    const off = expectOk(await fac.send<SessionState>(EVENTS.boardSetAnonymous, { enabled: false }));
    expect(off.settings.anonymous).toBe(false);
    expect(off.rounds[0]).toMatchObject({ anonymous: true });
    expect(off.rounds[0]!.scores).toEqual(before);
    // After a restart too (the flag is stored with the round).
    await env.restart();
    const again = await joinBoard(env, board.id, 'Fran', {
      facilitatorKey: board.facilitatorKey,
      participantId: fac.id,
      token: fac.token,
    });
    expect(again.latest().rounds[0]!.scores).toEqual(before);
    expect(JSON.stringify(again.latest().rounds)).not.toContain(alice.id);

    // The next round follows the (now named) board setting, unless the facilitator says otherwise.
    const named = await startRound(again, { mode: 'blind' });
    expect(named.anonymous).toBe(false);
    await reveal(again, named.id);
    const anonymousAgain = await startRound(again, { mode: 'blind', anonymous: true });
    expect(anonymousAgain.anonymous).toBe(true);
    expect(await again.send(EVENTS.roundStart, { mode: 'blind', anonymous: 'yes' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
  });
});
