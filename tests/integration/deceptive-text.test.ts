import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, type JoinResult, type Result, type SessionState } from '@/lib/protocol';
import { command, TestEnv } from '../helpers/server';
import { expectOk, joinBoard, type Member, until } from '../helpers/session';

/**
 * Bidi overrides and invisible characters make text show as something it is not ("Alice"
 * shown for another name, a rationale whose end reads backwards). Names, rationales and
 * evidence are refused with them at the session-channel boundary.
 */
let env: TestEnv;
let boardId: string;
let facilitator: Member;
beforeAll(async () => {
  env = await TestEnv.start();
  const board = await env.createBoard();
  boardId = board.id;
  facilitator = await joinBoard(env, board.id, 'Facilitator', { facilitatorKey: board.facilitatorKey });
});
afterAll(async () => {
  await env.cleanup();
});

const DECEPTIVE_NAMES = [
  ['a right-to-left override', 'Alice\u202Egnp.exe'],
  ['a left-to-right isolate', '\u2066Bob'],
  ['a zero-width space', 'Car\u200Bol'],
  ['a zero-width no-break space inside', 'Da\uFEFFn'],
  ['a Hangul filler that looks blank', '\u3164'],
] as const;

function rosterNames(): string[] {
  return facilitator.latest().roster.map((r) => r.name);
}

async function summaryEvidenceCount(criterionId: string): Promise<number> {
  const summary = (await (await fetch(`${env.url}/api/boards/${boardId}`)).json()) as {
    criteria: { id: string; evidenceCount: number }[];
  };
  return summary.criteria.find((c) => c.id === criterionId)?.evidenceCount ?? -1;
}

describe('display names', () => {
  it.each(DECEPTIVE_NAMES)(
    'a join with %s in the name is refused with a clear message and nobody joins',
    async (_what, name) => {
      const before = rosterNames();
      const socket = env.socket();
      const joined = await command<Result<JoinResult>>(socket, EVENTS.boardJoin, {
        as: 'participant',
        boardId,
        name,
      });
      expect(joined).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      if (!joined.ok) expect(joined.error.message).toMatch(/invisible or direction-changing characters/);
      expect(rosterNames()).toEqual(before);
    },
  );

  it('[L9] a rename to a name with a bidi override is refused and the name stays', async () => {
    const bob = await joinBoard(env, boardId, 'Bob');
    const renamed = await bob.send(EVENTS.participantRename, { name: 'Bob\u202E' });
    expect(renamed).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(bob.latest().you?.name).toBe('Bob');
  });

  it('[L9] names in any script, with emoji joined by zero-width joiners, are accepted', async () => {
    for (const name of ['Zoë 👩‍💻', 'سارة', 'अनुष्का']) {
      const member = await joinBoard(env, boardId, name);
      expect(member.latest().you?.name).toBe(name);
    }
  });
});

describe('ballot rationales', () => {
  it('[L9] a rationale with a bidi override or a zero-width space is refused and no score is recorded', async () => {
    const voter = await joinBoard(env, boardId, 'Voter');
    const started = expectOk(await facilitator.send<SessionState>(EVENTS.roundStart, { mode: 'blind' }));
    const roundId = started.rounds.at(-1)?.id ?? '';
    // Others hear of the round in the board's next broadcast, shortly after the facilitator's ack.
    await until(voter, (st) => st.rounds.at(-1)?.id === roundId, 'the voter sees the round');
    for (const rationale of ['fast\u202Ewols', 'fa\u200Bst']) {
      const cast = await voter.send(EVENTS.ballotCast, {
        roundId,
        criterionId: 'performance',
        optionId: 'node',
        value: 4,
        rationale,
      });
      expect(cast).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      if (!cast.ok) expect(cast.error.message).toMatch(/invisible or direction-changing characters/);
    }
    expect(voter.latest().rounds.at(-1)?.mine).toEqual([]);
    // Positive control: the same ballot with a plain rationale is recorded.
    const ok = expectOk(
      await voter.send<SessionState>(EVENTS.ballotCast, {
        roundId,
        criterionId: 'performance',
        optionId: 'node',
        value: 4,
        rationale: 'fast',
      }),
    );
    expect(ok.rounds.at(-1)?.mine).toHaveLength(1);
  });
});

describe('evidence', () => {
  it.each([
    ['text with a right-to-left override', { text: 'Benchmarks \u202Eslow' }],
    ['text with a zero-width space', { text: 'Bench\u200Bmarks' }],
    ['a link with a bidi isolate', { text: 'Benchmarks', url: 'https://example.com/\u2067a' }],
  ])('evidence:add with %s is refused and nothing is added', async (_what, fields) => {
    const adder = await joinBoard(env, boardId, 'Adder');
    const before = await summaryEvidenceCount('cost');
    const added = await adder.send(EVENTS.evidenceAdd, { criterionId: 'cost', optionId: null, ...fields });
    expect(added).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    if (!added.ok) expect(added.error.message).toMatch(/invisible or direction-changing characters/);
    expect(await summaryEvidenceCount('cost')).toBe(before);
  });

  it('plain evidence is still added (positive control)', async () => {
    const adder = await joinBoard(env, boardId, 'Adder 2');
    const before = await summaryEvidenceCount('cost');
    expectOk(
      await adder.send(EVENTS.evidenceAdd, { criterionId: 'cost', optionId: null, text: 'Hosting is cheap' }),
    );
    expect(await summaryEvidenceCount('cost')).toBe(before + 1);
  });
});
