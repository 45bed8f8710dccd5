import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { getRemovedCriteria, readHistory, readRemovedCriteria } from '@/lib/board-history';
import {
  findMap,
  getCriteria,
  getDescription,
  getOptions,
  moveCriterion,
  readBoard,
  removeCriterion,
  removeOption,
  updateCriterion,
  updateOption,
} from '@/lib/board-schema';
import { EVENTS, type SessionState } from '@/lib/protocol';
import { applyStored } from '@/server/storage/stored-doc';
import { TestEnv, waitFor } from '../helpers/server';
import { boardWithThree, expectOk, joinBoard, type Member, startRound, until } from '../helpers/session';
import { nextPermissionDenied } from '../helpers/yjs-frames';

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

/** A member's document, through the standard provider with its own credentials. */
const docOf = (m: Member, room: string) =>
  env.provider(room, { credentials: { participantId: m.id, token: m.token } });

/** The REST summary's fields these tests read. */
type BoardSummary = { criteria: { id: string; description: string }[] };

const description = (doc: Y.Doc, id = 'cost') =>
  readBoard(doc).criteria.find((c) => c.id === id)?.description;

describe('descriptions are shared text', () => {
  it('[D13] two real clients typing in one description at the same time both keep their words, on the server too', async () => {
    const { board, alice, bob } = await boardWithThree(env);
    const a = await docOf(alice, board.id);
    const b = await docOf(bob, board.id);
    const original = description(a.doc)!;
    expect(original.length).toBeGreaterThan(0);
    // Both edit before either has seen the other's edit: a real concurrent edit.
    a.provider.disconnect();
    b.provider.disconnect();
    for (const ch of ' per year') {
      updateCriterion(a.doc, 'cost', { description: description(a.doc) + ch });
    }
    updateCriterion(b.doc, 'cost', { description: `Money: ${description(b.doc)}` });
    a.provider.connect();
    b.provider.connect();
    const merged = `Money: ${original} per year`;
    await waitFor(() => description(a.doc) === merged && description(b.doc) === merged, 'both merged');
    const late = await env.provider(board.id);
    expect(description(late.doc)).toBe(merged);
    const summary = (await (await fetch(`${env.url}/api/boards/${board.id}`)).json()) as BoardSummary;
    expect(summary.criteria.find((c) => c.id === 'cost')?.description).toBe(merged);
  });

  it('[D13][R1][R6] a viewer’s and a locked board’s description edits are dropped', async () => {
    const { board, fac, alice } = await boardWithThree(env);
    const a = await docOf(alice, board.id);
    const original = description(a.doc);
    const viewer = await env.provider(board.viewerKey);
    let denied = nextPermissionDenied(viewer.provider.ws);
    updateCriterion(viewer.doc, 'cost', { description: 'viewer text' });
    expect(await denied).toContain('read-only');

    expectOk(await fac.send(EVENTS.boardLock, {}));
    denied = nextPermissionDenied(a.provider.ws);
    updateCriterion(a.doc, 'cost', { description: 'while locked' });
    expect(await denied).toContain('locked');
    const fresh = await env.provider(board.id);
    expect(description(fresh.doc)).toBe(original);
  });

  it('[D13][L8] a board from before with string descriptions loads with them, as shared text, after a restart too', async () => {
    const board = await env.createBoard();
    // Write the descriptions as strings, as earlier builds did, straight into storage.
    const old = new Y.Doc();
    applyStored(old, await env.server.store.loadDocument(board.id));
    const sv = Y.encodeStateVector(old);
    findMap(getCriteria(old), 'cost')!.set('description', 'Old: hosting and people');
    findMap(getOptions(old), 'node')!.set('description', 'Old: V8 and npm');
    await env.server.store.appendUpdates(board.id, [Y.encodeStateAsUpdate(old, sv)]);

    const summary = (await (await fetch(`${env.url}/api/boards/${board.id}`)).json()) as BoardSummary;
    expect(summary.criteria.find((c) => c.id === 'cost')?.description).toBe('Old: hosting and people');
    const alice = await joinBoard(env, board.id, 'Alice');
    const a = await docOf(alice, board.id);
    await waitFor(() => getDescription(findMap(getCriteria(a.doc), 'cost')!) !== null, 'migrated');
    expect(description(a.doc)).toBe('Old: hosting and people');
    expect(readBoard(a.doc).options.find((o) => o.id === 'node')?.description).toBe('Old: V8 and npm');
    updateOption(a.doc, 'node', { description: 'Old: V8 and npm, edited' });
    // Relayed means committed (D1): once another client has it, a restart keeps it.
    const other = await env.provider(board.id);
    await waitFor(
      () =>
        readBoard(other.doc).options.find((o) => o.id === 'node')?.description === 'Old: V8 and npm, edited',
      'the edit is relayed',
    );
    await env.restart();
    const after = await env.provider(board.id);
    expect(readBoard(after.doc).options.find((o) => o.id === 'node')?.description).toBe(
      'Old: V8 and npm, edited',
    );
    const record = await (await fetch(`${env.url}/api/boards/${board.id}/decision.md`)).text();
    expect(record).toContain('Old: V8 and npm, edited');
  });
});

describe('who changed what', () => {
  it('[R12] the server records who added, removed, renamed and reweighted, for everyone, after a restart too', async () => {
    const { board, alice, bob } = await boardWithThree(env);
    const a = await docOf(alice, board.id);
    const b = await docOf(bob, board.id);
    const securityWeight = readBoard(a.doc).criteria.find((c) => c.id === 'security')!.weight;
    // Typing a new name is one change, not one per keystroke.
    for (const name of ['C', 'Co', 'Cos', 'Cost of', 'Cost of running'])
      updateCriterion(a.doc, 'cost', { name });
    updateCriterion(b.doc, 'security', { weight: 9 });
    removeOption(b.doc, 'django');
    await waitFor(() => readHistory(a.doc).length === 3, 'alice sees three changes');
    expect(
      readHistory(a.doc).map(({ who, kind, name, from, to }) => ({ who, kind, name, from, to })),
    ).toEqual([
      {
        who: 'Alice',
        kind: 'criterion-renamed',
        name: 'Cost of running',
        from: 'Cost',
        to: 'Cost of running',
      },
      { who: 'Bob', kind: 'weight', name: 'Security', from: securityWeight, to: 9 },
      { who: 'Bob', kind: 'option-removed', name: 'Django', from: undefined, to: undefined },
    ]);
    expect(readHistory(a.doc)[0]!.by).toBe(alice.id);
    // A late joiner and a reload after a restart read the same stored history.
    await env.restart();
    const late = await env.provider(board.id);
    expect(readHistory(late.doc).map((e) => e.kind)).toEqual([
      'criterion-renamed',
      'weight',
      'option-removed',
    ]);
  });

  it('[R12][L4] the history keeps its last MAX_HISTORY_ENTRIES entries', async () => {
    const { board, alice } = await boardWithThree(env);
    const a = await docOf(alice, board.id);
    for (let i = 0; i < 60; i++) {
      updateCriterion(a.doc, i % 2 === 0 ? 'cost' : 'security', { weight: (i % 10) + 1 });
    }
    await waitFor(() => readHistory(a.doc).at(-1)?.to === 10, 'the last change arrives');
    expect(readHistory(a.doc)).toHaveLength(50);
  });
});

describe('restoring a removed criterion', () => {
  it('[R13] the facilitator restores a removed criterion with its id, name, weight, description and evidence, and its scores count again', async () => {
    const { board, fac, alice } = await boardWithThree(env);
    const a = await docOf(alice, board.id);
    const before = readBoard(a.doc).criteria.find((c) => c.id === 'security')!;
    const beforeIndex = readBoard(a.doc).criteria.findIndex((c) => c.id === 'security');
    const roundId = await startRound(fac);
    expectOk(
      await alice.send(EVENTS.ballotCast, { roundId, criterionId: 'security', optionId: 'node', value: 4 }),
    );
    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));

    updateCriterion(a.doc, 'security', { weight: 7, description: 'Hosting and people' });
    removeCriterion(a.doc, 'security');
    await until(fac, (s) => s.rounds[0]!.orphanedScores === 1, 'the security score is orphaned');
    await waitFor(() => readRemovedCriteria(a.doc).length === 1, 'the removal is kept');
    expect(readHistory(a.doc).at(-1)).toMatchObject({
      who: 'Alice',
      kind: 'criterion-removed',
      name: 'Security',
    });

    // Only the facilitator, only with no round open, only what was removed.
    expect(await alice.send(EVENTS.criterionRestore, { criterionId: 'security' })).toMatchObject({
      ok: false,
      error: { code: 'not_facilitator' },
    });
    expect(await fac.send(EVENTS.criterionRestore, { criterionId: 'cost' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    await startRound(fac);
    expect(await fac.send(EVENTS.criterionRestore, { criterionId: 'security' })).toMatchObject({
      ok: false,
      error: { code: 'round_in_progress' },
    });
    const open = fac.latest().rounds.at(-1)!.id;
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: open }));

    expectOk(await fac.send<SessionState>(EVENTS.criterionRestore, { criterionId: 'security' }));
    await waitFor(
      () => readBoard(a.doc).criteria.some((c) => c.id === 'security'),
      'security is back for alice',
    );
    const restored = readBoard(a.doc).criteria.find((c) => c.id === 'security')!;
    expect(restored).toMatchObject({ name: 'Security', weight: 7, description: 'Hosting and people' });
    expect(restored.evidence).toEqual(before.evidence);
    expect(restored.contested).toEqual(before.contested);
    // Back where it was.
    expect(readBoard(a.doc).criteria.findIndex((c) => c.id === 'security')).toBe(beforeIndex);
    await until(fac, (s) => s.rounds[0]!.orphanedScores === 0, 'the security score counts again');
    expect(readRemovedCriteria(a.doc)).toEqual([]);
    expect(getRemovedCriteria(a.doc).length).toBe(0);
    expect(readHistory(a.doc).at(-1)).toMatchObject({
      who: 'Fran',
      kind: 'criterion-restored',
      name: 'Security',
    });
    // Restored once: a second restore finds nothing.
    expect(await fac.send(EVENTS.criterionRestore, { criterionId: 'security' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    // Its sealed evidence is still valid under its id: a browser can move it again.
    moveCriterion(a.doc, 'security', 0);
    await waitFor(() => a.provider.synced, 'alice still synced');
    const check = await env.provider(board.id);
    await waitFor(() => readBoard(check.doc).criteria[0]?.id === 'security', 'the move is accepted');
  });

  it('[R13][R1] a viewer cannot restore, and an undo by the remover takes it off the restore list', async () => {
    const { board, fac, alice } = await boardWithThree(env);
    const a = await docOf(alice, board.id);
    const undo = new Y.UndoManager(getCriteria(a.doc));
    removeCriterion(a.doc, 'security');
    await waitFor(() => readRemovedCriteria(a.doc).length === 1, 'the removal is kept');
    const viewer = env.socket();
    const joined = await new Promise<{ ok: boolean }>((resolve) =>
      viewer.emit(EVENTS.boardJoin, { as: 'viewer', viewerKey: board.viewerKey }, resolve as never),
    );
    expect(joined.ok).toBe(true);
    const refused = await new Promise<unknown>((resolve) =>
      viewer.emit(EVENTS.criterionRestore, { criterionId: 'security' }, resolve),
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'read_only' } });
    undo.undo();
    await waitFor(() => readRemovedCriteria(a.doc).length === 0, 'undone: nothing to restore');
    // Taken off the stored list, not only hidden by the reader.
    await waitFor(() => getRemovedCriteria(a.doc).length === 0, 'the stored list is empty');
    expect(readBoard(a.doc).criteria.some((c) => c.id === 'security')).toBe(true);
    expect(await fac.send(EVENTS.criterionRestore, { criterionId: 'security' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});
