import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENTS } from '@/lib/protocol';
import { command, TestEnv } from '../helpers/server';
import {
  boardWithThree,
  DEFAULT_CRITERIA,
  DEFAULT_OPTIONS,
  expectOk,
  joinBoard,
  scoreAll,
  startRound,
  until,
} from '../helpers/session';

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

const CELLS = DEFAULT_CRITERIA.length * DEFAULT_OPTIONS.length;

describe('carry-over between rounds', () => {
  it('[R10] a new round starts from each voter’s own scores and rationales, on every device of theirs, and not as done', async () => {
    const { board, fac, alice, bob } = await boardWithThree(env);
    const r1 = await startRound(fac);
    await scoreAll(alice, r1, () => 4, 'first thoughts');
    expectOk(
      await alice.send(EVENTS.ballotCast, {
        roundId: r1,
        criterionId: 'cost',
        optionId: 'node',
        value: 'abstain',
      }),
    );
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: r1 }));

    const r2 = await startRound(fac);
    // Alice's second device (same credentials) sees the carried scores too: they live on the server.
    const alicePhone = await joinBoard(env, board.id, 'Alice', {
      participantId: alice.id,
      token: alice.token,
    });
    const mine = alicePhone.latest().rounds.find((r) => r.id === r2)!.mine;
    expect(mine).toHaveLength(CELLS);
    expect(mine.every((s) => s.carried === true)).toBe(true);
    expect(mine.find((s) => s.criterionId === 'performance' && s.optionId === 'django')).toMatchObject({
      value: 4,
      rationale: 'first thoughts',
    });
    expect(mine.find((s) => s.criterionId === 'cost' && s.optionId === 'node')!.value).toBeNull();
    // Nobody else receives them before the reveal (the round reaches Bob a broadcast window
    // after the facilitator's acknowledgement).
    const bobRound = (
      await until(bob, (s) => s.rounds.some((r) => r.id === r2), 'bob sees round 2')
    ).rounds.find((r) => r.id === r2)!;
    expect(bobRound.mine).toEqual([]);
    expect(bobRound.scores).toBeNull();
    // Carried is not done: the round does not start finished.
    const facRound = fac.latest().rounds.find((r) => r.id === r2)!;
    expect(facRound.progress.find((p) => p.participantId === alice.id)).toMatchObject({
      scored: 0,
      done: false,
    });
    expect(facRound.finished).toBe(0);

    // Changing one cell makes it hers; keeping the rest finishes her ballot.
    expectOk(
      await alice.send(EVENTS.ballotCast, {
        roundId: r2,
        criterionId: 'performance',
        optionId: 'django',
        value: 2,
      }),
    );
    const after = await until(
      fac,
      (s) =>
        s.rounds.find((r) => r.id === r2)?.progress.find((p) => p.participantId === alice.id)?.scored === 1,
      'one cell counted',
    );
    expect(after.rounds.at(-1)!.finished).toBe(0);
    expectOk(await alice.send(EVENTS.ballotKeep, { roundId: r2 }));
    await until(
      fac,
      (s) => s.rounds.at(-1)!.progress.find((p) => p.participantId === alice.id)?.done === true,
      'alice done',
    );
    const own = alice.latest().rounds.at(-1)!.mine;
    expect(own.some((s) => s.carried)).toBe(false);
    expect(own.find((s) => s.criterionId === 'performance' && s.optionId === 'django')!.value).toBe(2);
  });

  it('[R10] the record keeps every round’s reasons, and carry-over can be turned off', async () => {
    const { board, fac, alice } = await boardWithThree(env);
    const r1 = await startRound(fac);
    await scoreAll(alice, r1, () => 4);
    expectOk(
      await alice.send(EVENTS.ballotCast, {
        roundId: r1,
        criterionId: 'performance',
        optionId: 'django',
        value: 4,
        rationale: 'reason-of-round-one',
      }),
    );
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: r1 }));
    const r2 = await startRound(fac);
    expectOk(
      await alice.send(EVENTS.ballotCast, {
        roundId: r2,
        criterionId: 'performance',
        optionId: 'django',
        value: 2,
        rationale: 'reason-of-round-two',
      }),
    );
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: r2 }));
    const record = await (await fetch(`${env.url}/api/boards/${board.id}/decision.md`)).text();
    // Round 2 replaced the cell's reason; round 1's is still in the record.
    expect(record).toMatch(/Round 1:\n\n\* Performance, Django: Alice gave 4 \("reason-of-round-one"\)/);
    expect(record).toMatch(/Round 2:\n\n\* Performance, Django: Alice gave 2 \("reason-of-round-two"\)/);

    const r3 = await startRound(fac, { mode: 'blind', carryOver: false });
    expect(
      alice.latest().rounds.find((r) => r.id === r3)?.mine ??
        (await until(alice, (s) => s.rounds.length === 3, 'r3')).rounds.at(-1)!.mine,
    ).toEqual([]);
  });

  it('[R10] carry-over skips spectators and cells deleted since; a viewer or a bad payload cannot keep', async () => {
    const { board, fac, alice, bob } = await boardWithThree(env);
    const r1 = await startRound(fac);
    await scoreAll(alice, r1, () => 3);
    await scoreAll(bob, r1, () => 5);
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: r1 }));
    expectOk(await bob.send(EVENTS.participantSpectate, { spectator: true }));
    const r2 = await startRound(fac);
    const bobState = await until(bob, (s) => s.rounds.length === 2, 'bob sees r2');
    expect(bobState.rounds.at(-1)!.mine).toEqual([]);
    expect(
      (await until(alice, (s) => s.rounds.length === 2, 'alice sees r2')).rounds.at(-1)!.mine,
    ).toHaveLength(CELLS);

    const bad = await alice.send(EVENTS.ballotKeep, { roundId: r2, extra: 1 });
    expect(bad.ok || bad.error.code).toBe('bad_request');
    const unknown = await alice.send(EVENTS.ballotKeep, { roundId: 'nope' });
    expect(unknown.ok || unknown.error.code).toBe('no_open_round');
    const viewer = env.socket();
    expectOk(await command(viewer, EVENTS.boardJoin, { as: 'viewer', viewerKey: board.viewerKey }));
    const refused = await command<{ ok: boolean; error?: { code: string } }>(viewer, EVENTS.ballotKeep, {
      roundId: r2,
    });
    expect(refused.error?.code).toBe('read_only');
    expect(
      alice
        .latest()
        .rounds.at(-1)!
        .mine.every((s) => s.carried),
    ).toBe(true);
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: r2 }));
    const late = await alice.send(EVENTS.ballotKeep, { roundId: r2 });
    expect(late.ok || late.error.code).toBe('round_closed');
  });
});

describe('abstaining', () => {
  it('[R11] an abstention counts as done, is left out of the statistics, and shows in the revealed scores and the record', async () => {
    const { board, fac, alice, bob } = await boardWithThree(env);
    const r1 = await startRound(fac);
    await scoreAll(alice, r1, () => 4);
    await scoreAll(bob, r1, () => 2);
    expectOk(
      await bob.send(EVENTS.ballotCast, {
        roundId: r1,
        criterionId: 'cost',
        optionId: 'node',
        value: 'abstain',
        rationale: 'no idea of our hosting bill',
      }),
    );
    const s = await until(fac, (st) => st.rounds.at(-1)!.finished === 2, 'both done');
    expect(s.rounds.at(-1)!.progress.find((p) => p.participantId === bob.id)!.done).toBe(true);
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: r1 }));
    const revealed = await until(alice, (st) => st.rounds.at(-1)!.status === 'revealed', 'revealed');
    const cell = revealed.rounds
      .at(-1)!
      .scores!.filter((x) => x.criterionId === 'cost' && x.optionId === 'node');
    expect(cell).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ participantId: bob.id, value: null }),
        expect.objectContaining({ participantId: alice.id, value: 4 }),
      ]),
    );
    const record = await (await fetch(`${env.url}/api/boards/${board.id}/decision.md`)).text();
    expect(record).toMatch(/\* Cost, Node\.js: .*Bob abstained \("no idea of our hosting bill"\)/);
  });

  it('[R11] abstaining is refused outside an open round and for a malformed value', async () => {
    const { fac, alice } = await boardWithThree(env);
    const r1 = await startRound(fac);
    const wrong = await alice.send(EVENTS.ballotCast, {
      roundId: r1,
      criterionId: 'cost',
      optionId: 'node',
      value: 'skip',
    });
    expect(wrong.ok || wrong.error.code).toBe('bad_request');
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: r1 }));
    const late = await alice.send(EVENTS.ballotCast, {
      roundId: r1,
      criterionId: 'cost',
      optionId: 'node',
      value: 'abstain',
    });
    expect(late.ok || late.error.code).toBe('round_closed');
    // The round reaches Alice a broadcast window after the facilitator's acknowledgement.
    const seen = await until(alice, (s) => s.rounds.at(-1)?.status === 'revealed', 'the revealed round');
    expect(seen.rounds.at(-1)!.mine).toEqual([]);
  });
});
