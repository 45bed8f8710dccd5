import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { readCriteria, removeCriterion } from '@/lib/board-schema';
import { EVENTS, type SessionState, YJS_CLOSE } from '@/lib/protocol';
import { docParams, TestEnv, waitFor } from '../helpers/server';
import { boardWithThree, expectOk, joinBoard, scoreAll, startRound, until } from '../helpers/session';

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

describe('blind rounds and the reveal', () => {
  it('[P1] until the reveal, no frame a participant receives (Socket.IO or Yjs) carries another participant’s scores or rationale', async () => {
    const { board, fac, alice } = await boardWithThree(env);

    // Bob: a recording socket and a recording Yjs provider.
    const socketFrames: string[] = [];
    const bob = await joinBoard(env, board.id, 'Bob-recorder');
    bob.socket.io.engine.on('packet', (p: { data?: unknown }) =>
      socketFrames.push(JSON.stringify(p.data ?? '')),
    );
    const yjsFrames: Buffer[] = [];
    class RecordingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        this.on('message', (d: Buffer) => yjsFrames.push(Buffer.from(d)));
      }
    }
    const bobDoc = new Y.Doc();
    const provider = new WebsocketProvider(env.wsUrl, board.id, bobDoc, {
      WebSocketPolyfill: RecordingWebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      params: docParams({ participantId: bob.id, token: bob.token }),
    });
    await waitFor(() => provider.synced, 'bob synced');

    const roundId = await startRound(fac);
    const SECRET = 'zebra-unique-rationale-7781';
    await scoreAll(alice, roundId, (_c, o) => (o === 'django' ? 5 : 1), SECRET);
    // Alice sees her own scores; Bob sees only her progress.
    const aliceView = alice.latest().rounds.at(-1)!;
    expect(aliceView.mine).toHaveLength(24);
    const bobView = await until(
      bob,
      (s) => s.rounds.at(-1)?.progress.find((p) => p.participantId === alice.id)?.scored === 24,
      'bob sees alice finished',
    );
    expect(bobView.rounds.at(-1)!.scores).toBeNull();
    expect(bobView.rounds.at(-1)!.mine).toEqual([]);

    const all = () => socketFrames.join('\n') + Buffer.concat(yjsFrames).toString('latin1');
    expect(all()).not.toContain(SECRET);
    for (const s of bob.states) {
      for (const r of s.rounds) {
        expect(r.scores).toBeNull();
        expect(r.mine.filter((m) => m.participantId === alice.id)).toEqual([]);
      }
    }

    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    const revealed = await until(bob, (s) => s.rounds.at(-1)?.status === 'revealed', 'bob sees reveal');
    const scores = revealed.rounds.at(-1)!.scores!;
    expect(scores.filter((s) => s.participantId === alice.id)).toHaveLength(24);
    expect(scores.find((s) => s.participantId === alice.id && s.optionId === 'django')?.value).toBe(5);
    expect(all()).toContain(SECRET);
    provider.destroy();
    bobDoc.destroy();
  });

  it('[R2] only the facilitator starts and reveals rounds; others get not_facilitator and nothing changes', async () => {
    const { fac, alice } = await boardWithThree(env);
    expect(await alice.send(EVENTS.roundStart, { mode: 'blind' })).toMatchObject({
      ok: false,
      error: { code: 'not_facilitator' },
    });
    const roundId = await startRound(fac);
    expect(await alice.send(EVENTS.roundReveal, { roundId })).toMatchObject({
      ok: false,
      error: { code: 'not_facilitator' },
    });
    expect(fac.latest().rounds.at(-1)!.status).toBe('open');
    expect(await fac.send(EVENTS.roundStart, { mode: 'blind' })).toMatchObject({
      ok: false,
      error: { code: 'round_in_progress' },
    });
  });

  it.each([
    ['a score off the scale', { value: 6 }, 'out_of_scale'],
    ['a score below the scale', { value: 0 }, 'out_of_scale'],
    ['a fractional score', { value: 2.5 }, 'bad_request'],
    ['an unknown criterion', { criterionId: 'nope' }, 'unknown_cell'],
    ['an unknown option', { optionId: 'cobol' }, 'unknown_cell'],
    ['a ballot for someone else', { participantId: 'someone-else' }, 'forbidden'],
    ['an unknown round', { roundId: 'r-nope' }, 'no_open_round'],
    ['a multi-line rationale', { rationale: 'one\ntwo' }, 'bad_request'],
    ['an over-long rationale', { rationale: 'x'.repeat(201) }, 'bad_request'],
    ['an extra field', { sneaky: true }, 'bad_request'],
  ])('[R3] %s is refused with a typed error and stores nothing', async (_what, patch, code) => {
    const { fac, alice, board } = await boardWithThree(env);
    const roundId = await startRound(fac);
    const r = await alice.send(EVENTS.ballotCast, {
      roundId,
      criterionId: 'cost',
      optionId: 'node',
      value: 3,
      ...patch,
    });
    expect(r).toMatchObject({ ok: false, error: { code } });
    expect(await env.server.store.listScores(board.id)).toEqual([]);
  });

  it('[R3] a ballot after the reveal is refused; earlier scores stay', async () => {
    const { fac, alice, board } = await boardWithThree(env);
    const roundId = await startRound(fac);
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 3 }),
    );
    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    const r = await alice.send(EVENTS.ballotCast, {
      roundId,
      criterionId: 'cost',
      optionId: 'node',
      value: 1,
    });
    expect(r).toMatchObject({ ok: false, error: { code: 'round_closed' } });
    expect((await env.server.store.listScores(board.id)).map((s) => s.value)).toEqual([3]);
  });

  it('[R3] a participant can change and clear a score until the reveal', async () => {
    const { fac, alice } = await boardWithThree(env);
    const roundId = await startRound(fac);
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 3 }),
    );
    const changed = expectOk(
      await alice.send<SessionState>(EVENTS.ballotCast, {
        roundId,
        criterionId: 'cost',
        optionId: 'node',
        value: 4,
        rationale: 'cheaper hosting',
      }),
    );
    expect(changed.rounds.at(-1)!.mine).toEqual([
      {
        participantId: alice.id,
        criterionId: 'cost',
        optionId: 'node',
        value: 4,
        rationale: 'cheaper hosting',
      },
    ]);
    const cleared = expectOk(
      await alice.send<SessionState>(EVENTS.ballotCast, {
        roundId,
        criterionId: 'cost',
        optionId: 'node',
        value: null,
      }),
    );
    expect(cleared.rounds.at(-1)!.mine).toEqual([]);
  });

  it('auto-reveal happens when every present voter has finished; spectators and disconnected people do not hold it up', async () => {
    const { board, fac, alice, bob } = await boardWithThree(env);
    const carol = await joinBoard(env, board.id, 'Carol');
    const dave = await joinBoard(env, board.id, 'Dave');
    expectOk(await fac.send(EVENTS.boardSetAutoReveal, { enabled: true }));
    expectOk(await carol.send(EVENTS.participantSpectate, { spectator: true }));
    const roundId = await startRound(fac);
    await scoreAll(fac, roundId, () => 3);
    await scoreAll(alice, roundId, () => 4);
    // Bob and Dave have not finished: no reveal.
    expect(fac.latest().rounds.at(-1)!.status).toBe('open');
    await scoreAll(bob, roundId, () => 2);
    expect(fac.latest().rounds.at(-1)!.status).toBe('open');
    // Dave leaves without scoring: the check runs again and reveals.
    dave.socket.disconnect();
    const s = await until(
      fac,
      (st) => st.rounds.at(-1)?.status === 'revealed',
      'auto-revealed after dave left',
    );
    expect(s.rounds.at(-1)!.scores).toHaveLength(72);
  });

  it('auto-reveal runs again when the last unfinished person becomes a spectator', async () => {
    const { fac, alice, bob } = await boardWithThree(env);
    expectOk(await fac.send(EVENTS.boardSetAutoReveal, { enabled: true }));
    const roundId = await startRound(fac);
    await scoreAll(fac, roundId, () => 3);
    await scoreAll(alice, roundId, () => 3);
    expect(fac.latest().rounds.at(-1)!.status).toBe('open');
    expectOk(await bob.send(EVENTS.participantSpectate, { spectator: true }));
    await until(fac, (st) => st.rounds.at(-1)?.status === 'revealed', 'revealed');
    // A spectator cannot vote.
    const r2 = await bob.send(EVENTS.ballotCast, {
      roundId,
      criterionId: 'cost',
      optionId: 'node',
      value: 3,
    });
    expect(r2.ok).toBe(false);
  });

  it('a new round keeps the earlier one readable', async () => {
    const { fac, alice } = await boardWithThree(env);
    const r1 = await startRound(fac);
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId: r1, criterionId: 'cost', optionId: 'node', value: 2 }),
    );
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: r1 }));
    const r2 = await startRound(fac);
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId: r2, criterionId: 'cost', optionId: 'node', value: 4 }),
    );
    const s = alice.latest();
    expect(s.rounds.map((r) => [r.number, r.status])).toEqual([
      [1, 'revealed'],
      [2, 'open'],
    ]);
    expect(s.rounds[0]!.scores!.map((x) => x.value)).toEqual([2]);
    expect(s.rounds[1]!.scores).toBeNull();
  });

  it('in an open round everyone sees the scores live', async () => {
    const { fac, alice, bob } = await boardWithThree(env);
    const roundId = await startRound(fac, { mode: 'open' });
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 5 }),
    );
    const s = await until(bob, (st) => (st.rounds.at(-1)?.scores?.length ?? 0) === 1, 'bob sees live score');
    expect(s.rounds.at(-1)!.scores![0]).toMatchObject({ participantId: alice.id, value: 5 });
  });

  it('the scale can be set to 0–10 before the first ballot, and not after', async () => {
    const { fac, alice } = await boardWithThree(env);
    expect(await fac.send(EVENTS.boardSetScale, { min: 0, max: 7 })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    expectOk(await fac.send(EVENTS.boardSetScale, { min: 0, max: 10 }));
    const roundId = await startRound(fac);
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 9 }),
    );
    expect(await fac.send(EVENTS.boardSetScale, { min: 1, max: 5 })).toMatchObject({
      ok: false,
      error: { code: 'scale_locked' },
    });
    expect(await alice.send(EVENTS.boardSetScale, { min: 1, max: 5 })).toMatchObject({
      ok: false,
      error: { code: 'not_facilitator' },
    });
  });

  it('[R7] a criterion cannot be deleted through the document while a round is open; deleted after the reveal, the round says how many scores are left out', async () => {
    const { board, fac, alice } = await boardWithThree(env);
    const roundId = await startRound(fac);
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 5 }),
    );
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'security', optionId: 'node', value: 2 }),
    );
    const writer = await env.provider(board.id);
    const closed = new Promise<{ code: number }>((resolve) =>
      writer.provider.once('closed', (e: { code: number }) => resolve(e)),
    );
    removeCriterion(writer.doc, 'cost');
    expect((await closed).code).toBe(YJS_CLOSE.UPDATE_REFUSED);
    const check = await env.provider(board.id);
    expect(readCriteria(check.doc).some((c) => c.id === 'cost')).toBe(true);
    expect(
      alice
        .latest()
        .rounds.at(-1)!
        .progress.find((p) => p.participantId === alice.id),
    ).toMatchObject({
      scored: 2,
      total: 24,
    });

    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    removeCriterion(check.doc, 'cost');
    const s = await until(alice, (st) => st.rounds.at(-1)?.orphanedScores === 1, 'orphaned count');
    expect(s.rounds.at(-1)!.progress.find((p) => p.participantId === alice.id)).toMatchObject({
      scored: 1,
      total: 22,
    });
    expect((await env.server.store.listScores(board.id)).length).toBe(2);
  });

  it("[S1] a criterion removed through the document alone (no command) reaches everyone as the round's new totals", async () => {
    const { board, fac, alice } = await boardWithThree(env);
    const roundId = await startRound(fac);
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 4 }),
    );
    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    await until(alice, (st) => st.rounds.at(-1)?.revealedAt != null, 'revealed');
    const writer = await env.provider(board.id);
    removeCriterion(writer.doc, 'cost');
    const s = await until(alice, (st) => st.rounds.at(-1)?.orphanedScores === 1, 'orphaned count');
    expect(s.rounds.at(-1)!.progress.find((p) => p.participantId === alice.id)).toMatchObject({
      scored: 0,
      total: 22,
    });
  });

  it('[D7] a restart mid-round loses no acknowledged ballot, and a reconnecting client gets the round state', async () => {
    const { board, fac, alice } = await boardWithThree(env);
    const roundId = await startRound(fac);
    await scoreAll(alice, roundId, (c) => (c.length % 5) + 1, 'because');
    await env.restart();
    const again = await joinBoard(env, board.id, 'Alice', { participantId: alice.id, token: alice.token });
    const round = again.latest().rounds.at(-1)!;
    expect(round.id).toBe(roundId);
    expect(round.status).toBe('open');
    expect(round.mine).toHaveLength(24);
    expect(round.mine.every((m) => m.rationale === 'because')).toBe(true);
  });
});
