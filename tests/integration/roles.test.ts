import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { readBoard, setDecisionField, setMetaText } from '@/lib/board-schema';
import { EVENTS, type JoinResult, type Result, type SessionState, YJS_CLOSE } from '@/lib/protocol';
import { command, TestEnv, waitFor } from '../helpers/server';
import { expectOk, joinBoard, joinTraced, traceSession, until } from '../helpers/session';
import { nextPermissionDenied, updateMessage } from '../helpers/yjs-frames';

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

async function joinViewer(viewerKey: string) {
  const socket = env.socket();
  const trace = traceSession(socket);
  const r = await joinTraced(socket, trace, { as: 'viewer', viewerKey });
  return { socket, r, states: trace.states, raw: trace.raw };
}

const FACILITATOR_COMMANDS: [string, unknown][] = [
  [EVENTS.roundStart, { mode: 'blind' }],
  [EVENTS.roundReveal, { roundId: 'x' }],
  [EVENTS.boardSetScale, { min: 0, max: 10 }],
  [EVENTS.boardSetAutoReveal, { enabled: true }],
  [EVENTS.boardSetAnonymous, { enabled: true }],
  [EVENTS.boardLock, {}],
  [EVENTS.boardUnlock, {}],
  [EVENTS.boardFinalize, {}],
  [EVENTS.participantRemove, { participantId: 'x' }],
  [EVENTS.timerStart, { seconds: 60 }],
  [EVENTS.timerStop, {}],
  [EVENTS.criterionRestore, { criterionId: 'cost' }],
];

describe('roles: viewers', () => {
  it('[R1] a viewer’s document updates are dropped, the connection is told, and nothing is stored or relayed', async () => {
    const board = await env.createBoard();
    const participant = await env.provider(board.id);
    const before = (await env.server.store.loadDocument(board.id)).updates.length;

    const ws = new WebSocket(`${env.wsUrl}/${board.viewerKey}`);
    const received: Buffer[] = [];
    ws.on('message', (d: Buffer) => received.push(Buffer.from(d)));
    await new Promise((r) => ws.on('open', r));
    const evil = new Y.Doc();
    evil.getMap('meta').set('title', 'Hijacked by a viewer');
    ws.send(updateMessage(Y.encodeStateAsUpdate(evil)));
    // The standard y-protocols "permission denied" auth message: [2][0][reason].
    await waitFor(() => received.some((m) => m[0] === 2 && m[1] === 0), 'permission denied message');
    expect(received.find((m) => m[0] === 2)?.toString('utf8')).toContain('read-only');
    ws.close();

    // Also through the standard provider, as a viewer would.
    const viewer = await env.provider(board.viewerKey);
    expect(readBoard(viewer.doc).question).toBe('Which backend should we use: Django or Node.js?');
    const denied = nextPermissionDenied(viewer.provider.ws);
    setMetaText(viewer.doc, 'title', 'Viewer edit');
    expect(await denied).toContain('read-only');
    expect(readBoard(participant.doc).title).not.toBe('Viewer edit');
    expect(readBoard(participant.doc).title).not.toBe('Hijacked by a viewer');
    expect((await env.server.store.loadDocument(board.id)).updates.length).toBe(before);
    // ...while the viewer still receives participants' edits live.
    setMetaText(participant.doc, 'question', 'Live for viewers?');
    await waitFor(() => readBoard(viewer.doc).question === 'Live for viewers?', 'viewer receives edits');
  });

  it('[R1][P2] a viewer never receives the board id, and every session command of a viewer is refused', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const viewer = await joinViewer(board.viewerKey);
    expect(viewer.r.ok).toBe(true);
    if (!viewer.r.ok) return;
    expect(viewer.r.data.state.role).toBe('viewer');
    expect(viewer.r.data.state.docRoom).toBe(board.viewerKey);
    const roundId = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds[0]!
      .id;
    for (const [event, payload] of [
      ...FACILITATOR_COMMANDS,
      [EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 3 }] as [string, unknown],
      [EVENTS.evidenceAdd, { criterionId: 'cost', optionId: null, text: 'x' }] as [string, unknown],
      [EVENTS.participantSpectate, { spectator: true }] as [string, unknown],
    ]) {
      const r = await command<Result<SessionState>>(viewer.socket, event, payload);
      expect(r, event).toMatchObject({ ok: false, error: { code: 'read_only' } });
    }
    await waitFor(() => viewer.raw.length > 1, 'viewer got a pushed patch');
    for (const s of viewer.states) expect(s.boardId).toBeNull();
    // Every message as received, patches included: the board id is in none of them.
    for (const m of viewer.raw) expect(JSON.stringify(m)).not.toContain(board.id);
  });

  it('an unknown viewer key is refused on both channels', async () => {
    const viewer = await joinViewer('C'.repeat(22));
    expect(viewer.r).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const ws = new WebSocket(`${env.wsUrl}/${'C'.repeat(22)}`);
    const code = await new Promise<number>((r) => ws.on('close', (c) => r(c)));
    expect(code).toBe(YJS_CLOSE.UNKNOWN_BOARD);
  });
});

describe('roles: the facilitator', () => {
  it.each(FACILITATOR_COMMANDS)(
    '%s from a participant is refused with not_facilitator',
    async (event, payload) => {
      const board = await env.createBoard();
      const alice = await joinBoard(env, board.id, 'Alice');
      expect(await alice.send(event, payload)).toMatchObject({
        ok: false,
        error: { code: 'not_facilitator' },
      });
      const settings = alice.latest().settings;
      expect(settings.status).toBe('open');
      expect(settings.timer).toBeNull();
    },
  );

  it('[R2] a wrong or missing facilitator key gives no facilitator rights', async () => {
    const board = await env.createBoard();
    const wrong = await command<Result<JoinResult>>(env.socket(), EVENTS.boardJoin, {
      as: 'participant',
      boardId: board.id,
      name: 'Mallory',
      facilitatorKey: board.viewerKey, // another valid-looking key of the same board
    });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'bad_token' } });
    const plain = await joinBoard(env, board.id, 'NoKey');
    expect(plain.latest().role).toBe('participant');
    expect(await plain.send(EVENTS.boardLock, {})).toMatchObject({
      ok: false,
      error: { code: 'not_facilitator' },
    });
  });

  it('[R6] locking drops document edits and refuses ballots until unlocked', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    const roundId = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds[0]!
      .id;
    const a = await env.provider(board.id);
    expectOk(await fac.send(EVENTS.boardLock, {}));
    await until(alice, (s) => s.settings.status === 'locked', 'alice sees locked');
    await waitFor(() => readBoard(a.doc).status === 'locked', 'doc mirrors status');
    const stored = (await env.server.store.loadDocument(board.id)).updates.length;
    const denied = nextPermissionDenied(a.provider.ws);
    setMetaText(a.doc, 'title', 'Edited while locked');
    expect(await denied).toContain('locked');
    expect((await env.server.store.loadDocument(board.id)).updates.length).toBe(stored);
    const late = await env.provider(board.id);
    expect(readBoard(late.doc).title).not.toBe('Edited while locked');
    expect(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 3 }),
    ).toMatchObject({
      ok: false,
      error: { code: 'board_locked' },
    });
    expectOk(await fac.send(EVENTS.boardUnlock, {}));
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 3 }),
    );
  });

  it('[R6] finalizing locks the board, mirrors the status into the document and defaults the choice to the leader', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    const roundId = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds[0]!
      .id;
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 5 }),
    );
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'django', value: 2 }),
    );
    expect(await fac.send(EVENTS.boardFinalize, {})).toMatchObject({
      ok: false,
      error: { code: 'round_in_progress' },
    });
    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    const { doc } = await env.provider(board.id);
    const witness = await env.provider(board.id);
    setDecisionField(doc, 'reason', 'it scored higher on cost');
    // Relayed to another client means committed.
    await waitFor(
      () => readBoard(witness.doc).decision.reason === 'it scored higher on cost',
      'reason saved',
    );
    const finalized = expectOk(await fac.send<SessionState>(EVENTS.boardFinalize, {}));
    expect(finalized.settings.status).toBe('finalized');
    expect(finalized.settings.finalizedAt).not.toBeNull();
    await waitFor(() => readBoard(doc).status === 'finalized', 'doc mirrors finalized');
    expect(readBoard(doc).decision.chosenOptionId).toBe('node');
    expect(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 1 }),
    ).toMatchObject({
      ok: false,
    });
    expect(await fac.send(EVENTS.roundStart, { mode: 'blind' })).toMatchObject({
      ok: false,
      error: { code: 'board_locked' },
    });
    // Survives a restart.
    await env.restart();
    const again = await joinBoard(env, board.id, 'Fran', {
      facilitatorKey: board.facilitatorKey,
      participantId: fac.id,
      token: fac.token,
    });
    expect(again.latest().settings.status).toBe('finalized');
    expectOk(await again.send(EVENTS.boardUnlock, {}));
  });

  it('[R6] a finalized board refuses whatever would change its outcome with board_locked, and still allows renames, removal and closing joining', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    const bob = await joinBoard(env, board.id, 'Bob');
    const roundId = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds[0]!
      .id;
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 5 }),
    );
    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    const settingsBefore = await env.server.store.getSettings(board.id);
    for (const [member, event, payload] of [
      [alice, EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 1 }],
      [alice, EVENTS.evidenceAdd, { criterionId: 'cost', optionId: null, text: 'late claim' }],
      [fac, EVENTS.roundStart, { mode: 'blind' }],
      [fac, EVENTS.boardSetScale, { min: 0, max: 10 }],
      [fac, EVENTS.boardLock, {}],
      [fac, EVENTS.boardFinalize, {}],
    ] as const) {
      expect(await member.send(event, payload), event).toMatchObject({
        ok: false,
        error: { code: 'board_locked' },
      });
    }
    expect(await env.server.store.getSettings(board.id)).toEqual(settingsBefore);
    expect(await env.server.store.listRounds(board.id)).toHaveLength(1);

    expectOk(await alice.send(EVENTS.participantRename, { name: 'Alicia' }));
    expectOk(await fac.send(EVENTS.boardSetJoining, { open: false }));
    expectOk(await fac.send(EVENTS.boardSetAnonymous, { enabled: true }));
    expectOk(await fac.send(EVENTS.participantRemove, { participantId: bob.id }));
    expect((await env.server.store.getSettings(board.id)).status).toBe('finalized');
  });

  it('a finalize whose record cannot be stored changes nothing: the board stays open, editable and unfinalized', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const store = env.server.store;
    const putRecord = store.putRecord.bind(store);
    // The storage fails once, exactly where the record is written.
    store.putRecord = async () => {
      store.putRecord = putRecord;
      throw new Error('disk full');
    };
    expect(await fac.send(EVENTS.boardFinalize, {})).toMatchObject({
      ok: false,
      error: { code: 'internal' },
    });
    expect((await store.getSettings(board.id)).status).toBe('open');
    expect(await store.getRecord(board.id)).toBeNull();
    expect(env.server.session.docPolicy(board.id)?.writable).toBe(true);
    const { doc } = await env.provider(board.id);
    expect(readBoard(doc).status).toBe('open');
    setMetaText(doc, 'title', 'Still editable');
    await waitFor(
      () => env.server.yjs.loadedRoom(board.id)?.doc.getMap('meta').get('title') === 'Still editable',
      'edit',
    );
    // And the next attempt works.
    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    expect(await store.getRecord(board.id)).not.toBeNull();
  });

  it('[R4] a removed participant is disconnected, cannot re-join and cannot vote', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const bob = await joinBoard(env, board.id, 'Bob');
    let told = '';
    bob.socket.on(EVENTS.sessionError, (e) => {
      told = e.code;
    });
    expectOk(await fac.send(EVENTS.participantRemove, { participantId: bob.id }));
    await waitFor(() => !bob.socket.connected || told === 'removed', 'bob disconnected');
    expect(fac.latest().roster.map((p) => p.name)).toEqual(['Fran']);
    const rejoin = await command<Result<JoinResult>>(env.socket(), EVENTS.boardJoin, {
      as: 'participant',
      boardId: board.id,
      name: 'Bob',
      participantId: bob.id,
      token: bob.token,
    });
    expect(rejoin).toMatchObject({ ok: false, error: { code: 'removed' } });
  });

  it('[R4] a ballot a removed participant sent while its removal was running is not stored', async () => {
    await env.cleanup();
    env = await TestEnv.start({}, { heldStore: true });
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const bob = await joinBoard(env, board.id, 'Bob');
    const roundId = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds.at(
      -1,
    )!.id;
    // The removal is under way (its write held); Bob is still connected and casts a ballot,
    // which the board's queue runs after the removal.
    env.held!.hold('removeParticipant');
    const removal = fac.send(EVENTS.participantRemove, { participantId: bob.id });
    await waitFor(() => env.held!.waitingOn('removeParticipant') === 1, 'removal under way');
    bob.socket.emit(
      EVENTS.ballotCast,
      { roundId, criterionId: 'cost', optionId: 'node', value: 5 },
      () => {},
    );
    // A refused second join answers at once: when it is back, Bob's ballot is in the queue.
    await bob.send(EVENTS.boardJoin, { as: 'viewer', viewerKey: board.viewerKey });
    env.held!.release('removeParticipant');
    expectOk(await removal);
    // A later command of the same board runs after Bob's ballot in the queue.
    expectOk(await fac.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 2 }));
    const scores = await env.server.store.listScores(board.id);
    expect(scores.map((s) => s.participantId)).toEqual([fac.id]);
  });

  it('[P2] a viewer never receives anyone’s scores in a blind round, its own "mine" included', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const viewer = await joinViewer(board.viewerKey);
    const roundId = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds.at(
      -1,
    )!.id;
    expectOk(await fac.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 4 }));
    // The viewer is told the facilitator scored one cell: it got a state rendered after the ballot.
    await waitFor(
      () => viewer.states.some((s) => s.rounds.at(-1)?.progress.some((p) => p.scored === 1)),
      'viewer saw the progress',
    );
    for (const state of viewer.states) {
      for (const round of state.rounds) {
        expect(round.mine).toEqual([]);
        if (round.status === 'open') expect(round.scores).toBeNull();
      }
    }
    // And in the patches as received: no score of anyone, in any field, ever reached the viewer.
    for (const m of viewer.raw) expect(JSON.stringify(m)).not.toContain('"value"');
  });

  it('on an anonymous board the revealed scores carry pseudonyms, not participant ids', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    expectOk(await fac.send(EVENTS.boardSetAnonymous, { enabled: true }));
    const roundId = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds[0]!
      .id;
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 4 }),
    );
    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    const s = await until(fac, (st) => st.rounds[0]?.status === 'revealed', 'revealed');
    const scores = s.rounds[0]!.scores!;
    expect(scores).toHaveLength(1);
    expect(scores[0]!.participantId).toMatch(/^anon-\d+$/);
    // Who has finished stays visible (progress); who scored what does not.
    expect(JSON.stringify(s.rounds.map((r) => r.scores))).not.toContain(alice.id);
    expect(JSON.stringify(alice.latest().rounds.map((r) => r.scores))).not.toContain(fac.id);
  });

  it('the facilitator’s countdown reaches everyone, with the server clock', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    expect(await fac.send(EVENTS.timerStart, { seconds: 5 })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    expectOk(await fac.send(EVENTS.timerStart, { seconds: 180 }));
    const s = await until(alice, (st) => st.settings.timer !== null, 'alice sees timer');
    const left = new Date(s.settings.timer!.endsAt).getTime() - new Date(s.serverNow).getTime();
    expect(left).toBeGreaterThan(170_000);
    expect(left).toBeLessThanOrEqual(180_000);
    expectOk(await fac.send(EVENTS.timerStop, {}));
    await until(alice, (st) => st.settings.timer === null, 'timer stopped');
  });
});
