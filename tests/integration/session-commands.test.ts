import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readRemovedCriteria } from '@/lib/board-history';
import {
  addCriterion,
  getCriteria,
  readBoard,
  removeCriterion,
  setDecisionField,
  setDecisionStatus,
  setMetaText,
} from '@/lib/board-schema';
import { LIMITS } from '@/lib/limits';
import { ERROR_CODES, EVENTS, type Result, type SessionState } from '@/lib/protocol';
import { TestEnv, waitFor } from '../helpers/server';
import { boardWithThree, expectOk, joinBoard, scoreAll, startRound, until } from '../helpers/session';
import { nextPermissionDenied } from '../helpers/yjs-frames';

/**
 * The session commands' rules, edge by edge: each refusal's code and the words a person reads,
 * and the cases mutation testing of server/session-commands.ts found unguarded (docs/MUTATION.md).
 */

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

function refused(r: Result<unknown>, code: string, message: string): void {
  expect(r).toMatchObject({ ok: false, error: { code, message } });
}

describe('session commands: refusals say why', () => {
  it('[R3] a ballot for someone else, off the board, off the scale or after the reveal is refused with its reason; one naming its own caster counts', async () => {
    const { fac, alice, bob } = await boardWithThree(env);
    const roundId = await startRound(fac);
    const cell = { roundId, criterionId: 'cost', optionId: 'node' };
    refused(
      await alice.send(EVENTS.ballotCast, { ...cell, value: 3, participantId: bob.id }),
      ERROR_CODES.FORBIDDEN,
      'you can cast only your own ballot',
    );
    expectOk(await alice.send(EVENTS.ballotCast, { ...cell, value: 3, participantId: alice.id }));
    // No rationale given: the ballot has an empty one.
    expect(alice.latest().rounds.at(-1)!.mine).toEqual([
      expect.objectContaining({ criterionId: 'cost', optionId: 'node', value: 3, rationale: '' }),
    ]);
    refused(
      await alice.send(EVENTS.ballotCast, { ...cell, roundId: 'no-such-round', value: 3 }),
      ERROR_CODES.NO_OPEN_ROUND,
      'no such round',
    );
    refused(
      await alice.send(EVENTS.ballotCast, { ...cell, criterionId: 'nope', value: 3 }),
      ERROR_CODES.UNKNOWN_CELL,
      'no such criterion on this board',
    );
    refused(
      await alice.send(EVENTS.ballotCast, { ...cell, optionId: 'nope', value: 3 }),
      ERROR_CODES.UNKNOWN_CELL,
      'no such option on this board',
    );
    refused(
      await alice.send(EVENTS.ballotCast, { ...cell, value: 6 }),
      ERROR_CODES.OUT_OF_SCALE,
      'scores are from 1 to 5',
    );
    expectOk(await bob.send(EVENTS.participantSpectate, { spectator: true }));
    refused(
      await bob.send(EVENTS.ballotCast, { ...cell, value: 3 }),
      ERROR_CODES.SPECTATOR,
      'spectators do not vote; stop spectating to score',
    );
    refused(
      await bob.send(EVENTS.ballotKeep, { roundId }),
      ERROR_CODES.SPECTATOR,
      'spectators do not vote; stop spectating to score',
    );
    refused(
      await alice.send(EVENTS.ballotKeep, { roundId: 'no-such-round' }),
      ERROR_CODES.NO_OPEN_ROUND,
      'no such round',
    );
    refused(
      await fac.send(EVENTS.roundStart, { mode: 'blind' }),
      ERROR_CODES.ROUND_IN_PROGRESS,
      'reveal the current round before starting another',
    );
    refused(
      await fac.send(EVENTS.boardFinalize, {}),
      ERROR_CODES.ROUND_IN_PROGRESS,
      'reveal the current round before finalizing',
    );
    refused(
      await fac.send(EVENTS.criterionRestore, { criterionId: 'cost' }),
      ERROR_CODES.ROUND_IN_PROGRESS,
      'criteria cannot change while a round is open: reveal it first',
    );
    refused(
      await fac.send(EVENTS.roundReveal, { roundId: 'no-such-round' }),
      ERROR_CODES.NO_OPEN_ROUND,
      'no such round',
    );
    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    refused(
      await fac.send(EVENTS.roundReveal, { roundId }),
      ERROR_CODES.ROUND_CLOSED,
      'this round is already revealed',
    );
    refused(
      await alice.send(EVENTS.ballotCast, { ...cell, value: 4 }),
      ERROR_CODES.ROUND_CLOSED,
      'this round was revealed; scores are final',
    );
    refused(
      await alice.send(EVENTS.ballotKeep, { roundId }),
      ERROR_CODES.ROUND_CLOSED,
      'this round was revealed; scores are final',
    );
    refused(
      await fac.send(EVENTS.boardSetScale, { min: 0, max: 10 }),
      ERROR_CODES.SCALE_LOCKED,
      'the scale can change only before the first ballot',
    );
    refused(
      await fac.send(EVENTS.criterionRestore, { criterionId: 'cost' }),
      ERROR_CODES.NOT_FOUND,
      'no removed criterion with that id to restore',
    );
  });

  it('[R6] a locked board refuses ballots, keeping, rounds, evidence and restoring with its reason; a finalized one refuses locking and the scale', async () => {
    const { fac, alice } = await boardWithThree(env);
    const roundId = await startRound(fac);
    expectOk(await fac.send(EVENTS.boardLock, {}));
    refused(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 3 }),
      ERROR_CODES.BOARD_LOCKED,
      'the board is locked; no more ballots',
    );
    refused(
      await alice.send(EVENTS.ballotKeep, { roundId }),
      ERROR_CODES.BOARD_LOCKED,
      'the board is locked; no more ballots',
    );
    refused(
      await alice.send(EVENTS.evidenceAdd, { criterionId: 'cost', optionId: null, text: 'A fact' }),
      ERROR_CODES.BOARD_LOCKED,
      'the board is locked',
    );
    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    refused(
      await fac.send(EVENTS.roundStart, { mode: 'blind' }),
      ERROR_CODES.BOARD_LOCKED,
      'the board is locked',
    );
    refused(
      await fac.send(EVENTS.criterionRestore, { criterionId: 'cost' }),
      ERROR_CODES.BOARD_LOCKED,
      'the board is locked',
    );
    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    refused(
      await fac.send(EVENTS.boardFinalize, {}),
      ERROR_CODES.BOARD_LOCKED,
      'the board is already finalized',
    );
    refused(
      await fac.send(EVENTS.boardLock, {}),
      ERROR_CODES.BOARD_LOCKED,
      'the board is finalized; reopen it first',
    );
    refused(
      await fac.send(EVENTS.boardSetScale, { min: 0, max: 10 }),
      ERROR_CODES.BOARD_LOCKED,
      'the board is finalized',
    );
  });

  it('[R4] removing nobody, someone already removed, or oneself is refused with its reason', async () => {
    const { fac, bob } = await boardWithThree(env);
    refused(
      await fac.send(EVENTS.participantRemove, { participantId: 'nobody' }),
      ERROR_CODES.NOT_FOUND,
      'no such participant',
    );
    refused(
      await fac.send(EVENTS.participantRemove, { participantId: fac.id }),
      ERROR_CODES.BAD_REQUEST,
      'you cannot remove yourself',
    );
    expectOk(await fac.send(EVENTS.participantRemove, { participantId: bob.id }));
    refused(
      await fac.send(EVENTS.participantRemove, { participantId: bob.id }),
      ERROR_CODES.NOT_FOUND,
      'no such participant',
    );
  });
});

describe('session commands: edges', () => {
  it('[R10] keeping carried scores keeps only the keeper’s own', async () => {
    const { fac, alice, bob } = await boardWithThree(env);
    const first = await startRound(fac);
    await scoreAll(alice, first, () => 4);
    await scoreAll(bob, first, () => 2);
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: first }));
    const second = await startRound(fac);
    const progressOf = (s: SessionState, id: string) =>
      s.rounds.at(-1)!.progress.find((p) => p.participantId === id);
    const started = await until(bob, (s) => s.rounds.at(-1)?.id === second, 'bob sees round 2');
    expect(progressOf(started, bob.id)).toMatchObject({ done: false, scored: 0 });
    expectOk(await alice.send(EVENTS.ballotKeep, { roundId: second }));
    const seen = await until(bob, (s) => progressOf(s, alice.id)?.done === true, 'alice kept hers');
    expect(progressOf(seen, bob.id)).toMatchObject({ done: false, scored: 0 });
    expect(
      bob
        .latest()
        .rounds.at(-1)!
        .mine.every((m) => m.carried === true),
    ).toBe(true);
    expect(seen.rounds.at(-1)!.status).toBe('open');
  });

  it('[R6] reopening a finalized board drops its frozen record, mirrors "open" into the document and takes edits again', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const store = env.server.store;
    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    expect(await store.getRecord(board.id)).not.toBeNull();
    const { doc } = await env.provider(board.id);
    await waitFor(() => readBoard(doc).status === 'finalized', 'doc mirrors finalized');
    expectOk(await fac.send(EVENTS.boardUnlock, {}));
    expect(await store.getRecord(board.id)).toBeNull();
    expect((await store.getSettings(board.id)).status).toBe('open');
    expect(env.server.session.docPolicy(board.id)?.writable).toBe(true);
    await waitFor(() => doc.getMap('meta').get('status') === 'open', 'doc mirrors open');
    setDecisionField(doc, 'reason', 'reopened and edited');
    await waitFor(
      () => readBoard(env.server.yjs.loadedRoom(board.id)!.doc).decision.reason === 'reopened and edited',
      'edit taken',
    );
  });

  it('[R6][M3] finalizing keeps the option the facilitator chose, and the frozen record says it is chosen, not proposed', async () => {
    const { board, fac, alice, bob } = await boardWithThree(env);
    const roundId = await startRound(fac);
    // The matrix leads with Django…
    await scoreAll(alice, roundId, (_c, o) => (o === 'django' ? 5 : 1));
    await scoreAll(bob, roundId, (_c, o) => (o === 'django' ? 5 : 1));
    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    // …but the facilitator chose Node.js.
    const { doc } = await env.provider(board.id);
    setDecisionField(doc, 'chosenOptionId', 'node');
    setDecisionStatus(doc, 'accepted');
    await waitFor(
      () => readBoard(env.server.yjs.loadedRoom(board.id)!.doc).decision.status === 'accepted',
      'choice saved',
    );
    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    await waitFor(() => readBoard(doc).status === 'finalized', 'doc mirrors finalized');
    expect(readBoard(doc).decision.chosenOptionId).toBe('node');
    const record = await env.server.store.getRecord(board.id);
    expect(record?.markdown).toContain('Chosen option: "Node.js"');
    expect(record?.markdown).toMatch(/^status: "?accepted"?$/m);
    // With the viewer link of the server it was finalized on.
    expect(record?.markdown).toContain(`${env.url}/v/${board.viewerKey}`);
  });

  it('[R6] finalizing without a choice chooses the leader of every voter’s scores in the latest round', async () => {
    const { board, fac, alice, bob } = await boardWithThree(env);
    const first = await startRound(fac);
    await scoreAll(alice, first, (_c, o) => (o === 'django' ? 5 : 1));
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: first }));
    const second = await startRound(fac, { mode: 'blind', carryOver: false });
    // Two voters, both for Node.js: the leader of the latest round.
    await scoreAll(alice, second, (_c, o) => (o === 'node' ? 5 : 1));
    await scoreAll(bob, second, (_c, o) => (o === 'node' ? 4 : 2));
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: second }));
    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    const { doc } = await env.provider(board.id);
    await waitFor(() => readBoard(doc).status === 'finalized', 'doc mirrors finalized');
    expect(readBoard(doc).decision.chosenOptionId).toBe('node');
  });
});

describe('session commands: restoring a criterion', () => {
  it(`[R13][L4] a restore that would make more than ${LIMITS.MAX_CRITERIA} criteria is refused with its reason; one short of it goes through`, async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const { doc } = await env.provider(board.id);
    removeCriterion(doc, 'security');
    await waitFor(() => readRemovedCriteria(doc).length === 1, 'the removal is kept');
    const fill = (count: number) =>
      env.server.yjs.withDoc(board.id, (room) =>
        room.applyServerChange((d) => {
          for (let i = getCriteria(d).length; i < count; i++)
            addCriterion(d, { id: `filler-${i}`, name: `Filler ${i}`, description: '', weight: 1 });
        }),
      );
    await fill(LIMITS.MAX_CRITERIA);
    refused(
      await fac.send(EVENTS.criterionRestore, { criterionId: 'security' }),
      ERROR_CODES.LIMIT_REACHED,
      `a board holds at most ${LIMITS.MAX_CRITERIA} criteria`,
    );
    await env.server.yjs.withDoc(board.id, (room) =>
      room.applyServerChange((d) => getCriteria(d).delete(getCriteria(d).length - 1, 1)),
    );
    expectOk(await fac.send(EVENTS.criterionRestore, { criterionId: 'security' }));
    await env.server.yjs.withDoc(board.id, (room) => {
      expect(getCriteria(room.doc).length).toBe(LIMITS.MAX_CRITERIA);
      expect(readBoard(room.doc).criteria.some((c) => c.id === 'security')).toBe(true);
    });
  });
});

describe('session commands: evidence', () => {
  it('[L4] evidence is counted over criteria that have no evidence list yet too', async () => {
    const board = await env.createBoard();
    const alice = await joinBoard(env, board.id, 'Alice');
    const { doc } = await env.provider(board.id);
    // A criterion as a browser may write it: no evidence list.
    doc.transact(() => {
      const m = new Y.Map<unknown>();
      m.set('id', 'bare');
      m.set('name', 'Bare');
      m.set('weight', 1);
      getCriteria(doc).push([m as never]);
    });
    await waitFor(
      () => readBoard(env.server.yjs.loadedRoom(board.id)!.doc).criteria.some((c) => c.id === 'bare'),
      'the bare criterion is stored',
    );
    expectOk(await alice.send(EVENTS.evidenceAdd, { criterionId: 'cost', optionId: null, text: 'A fact' }));
  });
});

describe('session commands: a finalize that fails part-way', () => {
  beforeEach(async () => {
    await env.cleanup();
    env = await TestEnv.start({}, { heldStore: true });
  });

  it('[R6] a finalize whose status cannot be stored leaves no frozen record and the board open', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    env.held!.failNext('updateSettings');
    expect(await fac.send(EVENTS.boardFinalize, {})).toMatchObject({
      ok: false,
      error: { code: 'internal' },
    });
    const store = env.server.store;
    expect(await store.getRecord(board.id)).toBeNull();
    expect((await store.getSettings(board.id)).status).toBe('open');
    expect(env.server.session.docPolicy(board.id)?.writable).toBe(true);
    const { doc } = await env.provider(board.id);
    expect(readBoard(doc).status).toBe('open');
  });

  it('[R6] no document edit slips in while the record is being frozen', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const a = await env.provider(board.id);
    env.held!.hold('putRecord');
    const finalizing = fac.send(EVENTS.boardFinalize, {});
    await waitFor(() => env.held!.waitingOn('putRecord') === 1, 'record being stored');
    const denied = nextPermissionDenied(a.provider.ws);
    setMetaText(a.doc, 'title', 'Slipped in');
    expect(await denied).toContain('locked');
    env.held!.release('putRecord');
    expectOk(await finalizing);
    const record = await env.server.store.getRecord(board.id);
    expect(record?.markdown).not.toContain('Slipped in');
  });

  it('[R6] a locked board whose finalize fails stays locked: no document edits', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    expectOk(await fac.send(EVENTS.boardLock, {}));
    env.held!.failNext('putRecord');
    expect(await fac.send(EVENTS.boardFinalize, {})).toMatchObject({
      ok: false,
      error: { code: 'internal' },
    });
    expect((await env.server.store.getSettings(board.id)).status).toBe('locked');
    expect(env.server.session.docPolicy(board.id)?.writable).toBe(false);
    const { doc } = await env.provider(board.id);
    expect(readBoard(doc).status).toBe('locked');
  });
});
