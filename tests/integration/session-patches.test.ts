import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENTS, type Result, type SessionState } from '@/lib/protocol';
import type { SessionPatch } from '@/lib/session-patch';
import { command, TestEnv, waitFor } from '../helpers/server';
import {
  DEFAULT_CRITERIA,
  DEFAULT_OPTIONS,
  expectOk,
  joinBoard,
  joinTraced,
  type Member,
  type SessionTrace,
  scoreAll,
  traceSession,
} from '../helpers/session';

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

/** A state without the clock it was sent at: two renders of the same state differ only there. */
const comparable = (s: SessionState) => ({ ...s, serverNow: '' });

async function joinViewer(viewerKey: string): Promise<SessionTrace> {
  const socket = env.socket();
  const trace = traceSession(socket);
  expectOk(await joinTraced(socket, trace, { as: 'viewer', viewerKey }));
  return trace;
}

/** What the server renders for this person now: a second connection of theirs joins afresh. */
async function freshState(boardId: string, m: Member, extra: Record<string, unknown> = {}) {
  const again = await joinBoard(env, boardId, m.latest().you!.name, {
    participantId: m.id,
    token: m.token,
    ...extra,
  });
  const state = again.latest();
  again.socket.disconnect();
  return state;
}

/** Waits until a client's rebuilt state is the state rendered for it afresh. */
async function converges(latest: () => SessionState | undefined, fresh: SessionState, who: string) {
  await waitFor(
    () => JSON.stringify(comparable(latest()!)) === JSON.stringify(comparable(fresh)),
    `${who}'s state rebuilt from patches equals a fresh render`,
  );
}

describe('session patches', () => {
  it('[S1] [S3] every role’s state rebuilt from patches equals a fresh render, after a burst of changes in one broadcast window', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    const bob = await joinBoard(env, board.id, 'Bob');
    const viewer = await joinViewer(board.viewerKey);

    const round1 = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds.at(
      -1,
    )!;
    await scoreAll(alice, round1.id, (_c, o) => (o === 'node' ? 4 : 2), 'why');
    // [S3] the acknowledged ballot is in the state when the ack arrives.
    const after = expectOk(
      await bob.send<SessionState>(EVENTS.ballotCast, {
        roundId: round1.id,
        criterionId: 'cost',
        optionId: 'node',
        value: 5,
      }),
    );
    expect(after.rounds.at(-1)!.mine).toEqual([
      expect.objectContaining({ criterionId: 'cost', optionId: 'node', value: 5 }),
    ]);
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: round1.id }));
    const round2 = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds.at(
      -1,
    )!;
    expect(round2.id).not.toBe(round1.id);
    // A burst, sent without waiting: all of it within one broadcast window.
    await Promise.all([
      alice.send(EVENTS.ballotCast, {
        roundId: round2.id,
        criterionId: 'cost',
        optionId: 'django',
        value: 1,
      }),
      bob.send(EVENTS.ballotCast, { roundId: round2.id, criterionId: 'cost', optionId: 'django', value: 3 }),
      bob.send(EVENTS.participantRename, { name: 'Robert' }),
      alice.send(EVENTS.participantSpectate, { spectator: true }),
      fac.send(EVENTS.timerStart, { seconds: 60 }),
      // Issue 11's state: a summon, and kept carried-over scores (progress and `mine` change).
      fac.send(EVENTS.boardSummon, { target: 'matrix' }),
      bob.send(EVENTS.ballotKeep, { roundId: round2.id }),
    ]);

    for (const m of [fac, alice, bob]) {
      const extra = m === fac ? { facilitatorKey: board.facilitatorKey } : {};
      await converges(m.latest, await freshState(board.id, m, extra), m.latest().you!.name);
    }
    const viewerFresh = await joinViewer(board.viewerKey);
    await converges(viewer.latest, viewerFresh.latest()!, 'the viewer');
    // It was patches that got them there, not whole states.
    expect(alice.raw.slice(1).every((m) => !('protocolVersion' in (m as object)))).toBe(true);
    expect(alice.latest().rounds[0]!.scores).toHaveLength(25);
    expect(alice.latest().roster.find((p) => p.id === bob.id)?.name).toBe('Robert');
    expect(alice.latest().settings.summon?.target).toBe('matrix');
    expect(
      bob
        .latest()
        .rounds.at(-1)!
        .mine.some((s) => s.carried),
    ).toBe(false);
  });

  it('[S2] [P1] [P2] no patch gives anyone another person’s blind scores, and a viewer’s patches carry no score and no board id', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    const bob = await joinBoard(env, board.id, 'Bob');
    const viewer = await joinViewer(board.viewerKey);
    const round = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds.at(-1)!;
    const SECRET = 'patch-secret-4417';
    await scoreAll(alice, round.id, () => 5, SECRET);
    expectOk(
      await bob.send(EVENTS.ballotCast, {
        roundId: round.id,
        criterionId: 'cost',
        optionId: 'node',
        value: 2,
      }),
    );
    // Everyone has seen both people's progress: the patches that could leak have been sent.
    for (const t of [fac, bob, { latest: viewer.latest }]) {
      await waitFor(() => {
        const r = t.latest()?.rounds.at(-1);
        return !!r?.progress.some((p) => p.participantId === bob.id && p.scored === 1) && r?.finished === 1;
      }, 'progress seen');
    }
    const patchesOf = (raw: unknown[]) => raw.slice(1) as SessionPatch[];
    for (const [who, m] of [
      ['fac', fac],
      ['bob', bob],
    ] as const) {
      expect(JSON.stringify(m.raw), who).not.toContain(SECRET);
      for (const p of patchesOf(m.raw)) {
        for (const r of Object.values(p.rounds?.set ?? {})) {
          for (const s of r.mine ?? []) expect(s.participantId, who).toBe(m.id);
          expect(r.scores ?? null, who).toBeNull();
        }
      }
    }
    expect(JSON.stringify(viewer.raw)).not.toContain(SECRET);
    expect(JSON.stringify(viewer.raw)).not.toContain(board.id);
    expect(JSON.stringify(viewer.raw)).not.toContain('"value"');
    // Positive control: the same check sees alice's own scores in her patches.
    expect(JSON.stringify(alice.raw)).toContain(SECRET);
  });

  it('[S2] once revealed, the round’s scores go to everyone in the same patch, viewers included', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    const viewer = await joinViewer(board.viewerKey);
    const round = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds.at(-1)!;
    for (const c of DEFAULT_CRITERIA.slice(0, 2)) {
      for (const o of DEFAULT_OPTIONS) {
        expectOk(
          await alice.send(EVENTS.ballotCast, { roundId: round.id, criterionId: c, optionId: o, value: 3 }),
        );
      }
    }
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: round.id }));
    await waitFor(() => viewer.latest()?.rounds.at(-1)?.status === 'revealed', 'viewer sees the reveal');
    expect(viewer.latest()!.rounds.at(-1)!.scores).toHaveLength(4);
    expect(viewer.latest()!.rounds.at(-1)!.mine).toEqual([]);
    await waitFor(() => alice.latest().rounds.at(-1)?.status === 'revealed', 'alice sees the reveal');
    expect(alice.latest().rounds.at(-1)!.scores).toEqual(viewer.latest()!.rounds.at(-1)!.scores);
  });

  it('[S1] one person’s ballot reaches the others as that person’s progress entry, not the whole list', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const people = [];
    for (const name of ['Alice', 'Bob', 'Carol', 'Dan', 'Erin'])
      people.push(await joinBoard(env, board.id, name));
    const [alice, bob] = people as [Member, Member];
    const round = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds.at(-1)!;
    await waitFor(() => alice.latest().rounds.length === 1, 'alice sees the round');
    const from = alice.raw.length;
    expectOk(
      await bob.send(EVENTS.ballotCast, {
        roundId: round.id,
        criterionId: 'cost',
        optionId: 'node',
        value: 2,
      }),
    );
    await waitFor(
      () => !!alice.latest().rounds[0]?.progress.some((p) => p.participantId === bob.id && p.scored === 1),
      'alice sees bob’s progress',
    );
    const patches = alice.raw.slice(from) as SessionPatch[];
    const progressItems = patches.flatMap((p) => Object.values(p.rounds?.items?.['0']?.progress?.set ?? {}));
    expect(progressItems).toEqual([expect.objectContaining({ participantId: bob.id, scored: 1 })]);
    for (const p of patches) expect(p.rounds?.set['0']?.progress).toBeUndefined();
  });

  it('[S4] a client of another protocol version is refused at join and told to reload', async () => {
    const board = await env.createBoard();
    const r = await command<Result<unknown>>(env.socket(), EVENTS.boardJoin, {
      as: 'participant',
      boardId: board.id,
      name: 'Old page',
      protocolVersion: 1,
    });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(!r.ok && r.error.message).toMatch(/reload/);
  });
});
