import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, type Result, type SessionState } from '@/lib/protocol';
import { Cluster, type Node } from '../helpers/cluster';
import { explainSkip } from '../helpers/postgres';
import { command, waitFor } from '../helpers/server';
import {
  DEFAULT_CRITERIA,
  DEFAULT_OPTIONS,
  expectOk,
  joinBoard,
  type Member,
  startRound,
} from '../helpers/session';

/**
 * Several real server processes on one Postgres database and one Redis, clients on different
 * processes of one board: the session channel's promises hold across processes.
 */
const skip = explainSkip('Scale-out (several processes)', ['TEST_DATABASE_URL', 'TEST_REDIS_URL']);

/** Generous: messages between processes go through Redis; a dead process is given up after ~6 s. */
const ACROSS_MS = 15_000;

async function until(m: Member, check: (s: SessionState) => boolean, what: string): Promise<SessionState> {
  await waitFor(() => check(m.latest()), what, ACROSS_MS);
  return m.latest();
}

/** `promise`, or a failure naming `what` after ACROSS_MS. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for: ${what}`)), ACROSS_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const online = (s: SessionState, id: string) => s.roster.find((e) => e.id === id)?.online === true;
const CELLS = DEFAULT_CRITERIA.flatMap((criterionId) =>
  DEFAULT_OPTIONS.map((optionId) => ({ criterionId, optionId })),
);

describe.skipIf(skip)('several server processes on one database and Redis', () => {
  let cluster: Cluster;
  afterEach(async () => {
    await cluster?.cleanup();
  });

  /** A board on process 1 with the facilitator there, and voters joined where the test says. */
  async function board(where: Record<string, Node>) {
    const [p1] = cluster.nodes as [Node];
    const created = await p1.createBoard();
    const fac = await joinBoard(p1, created.id, 'Fran', { facilitatorKey: created.facilitatorKey });
    const members: Record<string, Member> = {};
    for (const [name, node] of Object.entries(where)) members[name] = await joinBoard(node, created.id, name);
    return { created, fac, members };
  }

  it('[P1] [S7] a blind round with the facilitator on one process and voters on another: progress and presence cross, scores stay private until the reveal reaches everyone', async () => {
    cluster = await Cluster.start(2);
    const [p1, p2] = cluster.nodes as [Node, Node];
    const { fac, members } = await board({ Carol: p1, Alice: p2, Bob: p2 });
    const [carol, alice, bob] = [members.Carol!, members.Alice!, members.Bob!];

    // Presence crosses both ways: everyone is online for everyone.
    for (const m of [fac, carol, alice, bob]) {
      await until(
        m,
        (s) => [fac, carol, alice, bob].every((x) => online(s, x.id)),
        `${m.id} sees all four online`,
      );
    }

    const roundId = await startRound(fac);
    await until(alice, (s) => s.rounds.at(-1)?.status === 'open', 'the round reaches process 2');

    // Ballots on both processes; Carol's rationale marks her scores in any frame.
    const secret = 'carol-only-rationale-7f3a';
    for (const { criterionId, optionId } of CELLS) {
      expectOk(
        await carol.send(EVENTS.ballotCast, { roundId, criterionId, optionId, value: 2, rationale: secret }),
      );
      expectOk(await alice.send(EVENTS.ballotCast, { roundId, criterionId, optionId, value: 4 }));
    }
    // Progress crosses: the facilitator (process 1) sees Alice (process 2) done, and Bob sees Carol.
    const done = (s: SessionState, id: string) =>
      s.rounds.at(-1)?.progress.some((p) => p.participantId === id && p.done) === true;
    await until(fac, (s) => done(s, alice.id) && done(s, carol.id), 'the facilitator sees both done');
    await until(bob, (s) => done(s, carol.id) && done(s, alice.id), 'Bob sees both done');

    // Nothing received on process 2 before the reveal carries another person's scores.
    const beforeReveal = { alice: alice.raw.length, bob: bob.raw.length };
    const leaks = (raw: unknown[], selfId: string) =>
      raw.filter((frame) => {
        const json = JSON.stringify(frame);
        return (
          json.includes(secret) ||
          (json.includes('"scores":[') && !json.includes('"scores":[]')) ||
          (json.includes(carol.id) && json.includes('"value"') && !json.includes(selfId))
        );
      });
    expect(leaks(alice.raw.slice(0, beforeReveal.alice), alice.id)).toEqual([]);
    expect(leaks(bob.raw.slice(0, beforeReveal.bob), bob.id)).toEqual([]);
    for (const s of [...alice.states, ...bob.states])
      expect(s.rounds.every((r) => r.scores === null)).toBe(true);

    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    for (const m of [alice, bob, carol]) {
      const s = await until(m, (x) => x.rounds.at(-1)?.status === 'revealed', 'the reveal reaches everyone');
      const scores = s.rounds.at(-1)!.scores!;
      expect(scores.filter((x) => x.participantId === carol.id)).toHaveLength(CELLS.length);
      expect(scores.filter((x) => x.participantId === alice.id)).toHaveLength(CELLS.length);
    }
    // The sniffing above could see a leak: after the reveal the same frames carry Carol's scores.
    expect(alice.raw.slice(beforeReveal.alice).some((f) => JSON.stringify(f).includes(secret))).toBe(true);
  }, 120_000);

  it('[S6] a reveal on one process racing ballots on another: the revealed scores are exactly what is stored, and every acknowledged ballot is among them', async () => {
    cluster = await Cluster.start(2);
    const [, p2] = cluster.nodes as [Node, Node];
    const { created, fac, members } = await board({ Alice: p2 });
    const alice = members.Alice!;
    const roundId = await startRound(fac);
    await until(alice, (s) => s.rounds.at(-1)?.status === 'open', 'the round reaches process 2');
    expectOk(await alice.send(EVENTS.ballotCast, { roundId, ...CELLS[0]!, value: 1 }));

    // Every other ballot at once, and the reveal in the middle of them.
    const ballots = CELLS.slice(1).map((cell) =>
      command<Result<null>>(alice.socket, EVENTS.ballotCast, { roundId, ...cell, value: 3 }).then((r) => ({
        cell,
        r,
      })),
    );
    const revealed = await fac.send<SessionState>(EVENTS.roundReveal, { roundId });
    const atReveal = expectOk(revealed).rounds.at(-1)!;
    const answers = await Promise.all(ballots);

    const key = (c: { criterionId: string; optionId: string }) => `${c.criterionId}/${c.optionId}`;
    const acked = new Set([key(CELLS[0]!), ...answers.filter((a) => a.r.ok).map((a) => key(a.cell))]);
    const shownAtReveal = new Set(atReveal.scores!.filter((s) => s.participantId === alice.id).map(key));
    const store = await cluster.store();
    const stored = new Set(
      (await store.listScores(created.id)).filter((s) => s.roundId === roundId).map(key),
    );
    // Nothing counted after the reveal: what was revealed is all that is stored, and nothing
    // acknowledged is missing from it. Refused ballots were refused for the reveal.
    expect([...stored].sort()).toEqual([...shownAtReveal].sort());
    expect([...acked].sort()).toEqual([...stored].sort());
    for (const a of answers.filter((x) => !x.r.ok)) expect(a.r.ok ? '' : a.r.error.code).toBe('round_closed');
  }, 120_000);

  it('[S5] ballots changed and cleared on one process reach the other’s copy of the session: what each process reveals is exactly what is stored', async () => {
    cluster = await Cluster.start(2);
    const [p1, p2] = cluster.nodes as [Node, Node];
    const { created, fac, members } = await board({ Alice: p1, Bob: p2 });
    const [alice, bob] = [members.Alice!, members.Bob!];
    const roundId = await startRound(fac);
    await until(bob, (s) => s.rounds.at(-1)?.status === 'open', 'the round reaches process 2');
    const cast = (m: Member, i: number, value: number | null) =>
      m.send(EVENTS.ballotCast, { roundId, ...CELLS[i]!, value });

    // Turns between the processes: each command on one finds the other's writes since its own.
    for (let i = 0; i < 4; i++) expectOk(await cast(alice, i, 1));
    expectOk(await cast(bob, 0, 2));
    expectOk(await cast(alice, 1, null)); // cleared
    expectOk(await cast(alice, 2, 5)); // changed
    expectOk(await cast(bob, 1, 3));
    expectOk(await cast(bob, 1, null)); // Bob's own, cleared on process 2
    expectOk(await cast(alice, 3, null));
    expectOk(await cast(alice, 3, 4)); // cleared, then set again
    expectOk(await cast(bob, 2, 2));

    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    const store = await cluster.store();
    const stored = (await store.listScores(created.id))
      .filter((s) => s.roundId === roundId)
      .map((s) => `${s.participantId}/${s.criterionId}/${s.optionId}=${s.value}`)
      .sort();
    expect(stored).toHaveLength(5);
    // Alice's copy (process 1) and Bob's (process 2) reveal the same scores: what is stored.
    for (const m of [alice, bob]) {
      const s = await until(m, (x) => x.rounds.at(-1)?.status === 'revealed', 'the reveal reaches everyone');
      const shown = s.rounds
        .at(-1)!
        .scores!.map((x) => `${x.participantId}/${x.criterionId}/${x.optionId}=${x.value}`)
        .sort();
      expect(shown).toEqual(stored);
    }
  }, 120_000);

  it('[D16] kill -9 of the process a voter is on: every acknowledged ballot is there when read through the other process, and its people leave the roster', async () => {
    cluster = await Cluster.start(2);
    const [, p2] = cluster.nodes as [Node, Node];
    const { fac, members } = await board({ Alice: p2 });
    const alice = members.Alice!;
    await until(fac, (s) => online(s, alice.id), 'Alice online for the facilitator');
    const roundId = await startRound(fac);
    await until(alice, (s) => s.rounds.at(-1)?.status === 'open', 'the round reaches process 2');

    const gone = new Promise<void>((resolve) => alice.socket.once('disconnect', () => resolve()));
    const acked: string[] = [];
    let killed: Promise<void> | null = null;
    for (const cell of CELLS) {
      const r = await Promise.race([
        command<Result<null>>(alice.socket, EVENTS.ballotCast, { roundId, ...cell, value: 5 }),
        gone.then(() => null),
      ]);
      if (r === null) break;
      expectOk(r);
      acked.push(`${cell.criterionId}/${cell.optionId}`);
      // Mid-round, with ballots still being sent.
      if (acked.length === 5) killed = p2.process.kill9();
    }
    await killed;
    expect(acked.length).toBeGreaterThanOrEqual(5);

    await until(fac, (s) => !online(s, alice.id), 'Alice leaves the roster once her process is gone').catch(
      (e) => {
        console.log(cluster.nodes[0]!.process.output());
        throw e;
      },
    );
    const s = expectOk(await fac.send<SessionState>(EVENTS.roundReveal, { roundId }));
    const hers = s.rounds.at(-1)!.scores!.filter((x) => x.participantId === alice.id);
    const shown = new Set(hers.map((x) => `${x.criterionId}/${x.optionId}`));
    for (const a of acked) expect(shown.has(a), a).toBe(true);
  }, 120_000);

  it('[R4] [S7] the facilitator on one process removes a participant on another: that connection is told and closed there, and the timer reaches the other process', async () => {
    cluster = await Cluster.start(2);
    const [, p2] = cluster.nodes as [Node, Node];
    const { fac, members } = await board({ Alice: p2, Bob: p2 });
    const [alice, bob] = [members.Alice!, members.Bob!];

    expectOk(await fac.send(EVENTS.timerStart, { seconds: 90 }));
    await until(
      bob,
      (s) => s.settings.timer?.seconds === 90,
      'the timer (kept in memory only) reaches process 2',
    );

    const told = new Promise<string>((resolve) =>
      alice.socket.once(EVENTS.sessionError, (e) => resolve(e.code)),
    );
    const closed = new Promise<void>((resolve) => alice.socket.once('disconnect', () => resolve()));
    expectOk(await fac.send(EVENTS.participantRemove, { participantId: alice.id }));
    expect(await within(told, 'Alice told she was removed')).toBe('removed');
    await within(closed, 'Alice disconnected');
    await until(bob, (s) => !online(s, alice.id), 'Bob sees Alice gone');
    // And she cannot come back through either process.
    for (const node of cluster.nodes) {
      const again = await command<Result<unknown>>(node.socket(), EVENTS.boardJoin, {
        as: 'participant',
        boardId: fac.latest().boardId,
        name: 'Alice',
        participantId: alice.id,
        token: alice.token,
      });
      expect(again.ok ? 'ok' : again.error.code).toBe('removed');
    }
  }, 120_000);
});
