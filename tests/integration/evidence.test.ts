import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readBoard } from '@/lib/board-schema';
import type { BoardSnapshot, EvidenceSnapshot } from '@/lib/board-types';
import { LIMITS } from '@/lib/limits';
import { EVENTS, type SessionState } from '@/lib/protocol';
import { type BoardTemplate, boardTemplateSchema } from '@/lib/template';
import { command, TestEnv, waitFor } from '../helpers/server';
import { expectOk, joinBoard, type Member, until } from '../helpers/session';

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

const TEMPLATES_DIR = path.resolve(import.meta.dirname, '../../lib/templates');
function loadTemplate(id: string): BoardTemplate {
  return boardTemplateSchema.parse(JSON.parse(readFileSync(path.join(TEMPLATES_DIR, `${id}.json`), 'utf8')));
}

const participantEvidence = (board: BoardSnapshot, criterionId: string): EvidenceSnapshot[] =>
  board.criteria.find((c) => c.id === criterionId)?.evidence.filter((e) => e.origin.type === 'participant') ??
  [];

const allParticipantEvidence = (board: BoardSnapshot): EvidenceSnapshot[] =>
  board.criteria.flatMap((c) => c.evidence.filter((e) => e.origin.type === 'participant'));

/** What storage holds for a board, decoded: the state a restarted server would load. */
async function storedBoard(
  boardId: string,
): Promise<{ count: number; lastSeq: number; board: BoardSnapshot }> {
  const stored = await env.server.store.loadDocument(boardId);
  const doc = new Y.Doc();
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  const board = readBoard(doc);
  doc.destroy();
  return { count: stored.updates.length, lastSeq: stored.lastSeq, board };
}

const serverBoard = (boardId: string) => env.server.yjs.withDoc(boardId, (room) => readBoard(room.doc));

describe('the template’s evidence in the board document', () => {
  it('[E1] a new board’s document, as any Yjs client receives it, carries every claim with its source and option, the sources and the contested markers', async () => {
    const template = loadTemplate('django-vs-node');
    const board = await env.createBoard();
    const { doc } = await env.provider(board.id);
    const snap = readBoard(doc);

    // Sources: exactly the template's, in order, with their titles.
    expect(snap.sources).toEqual(template.sources);
    expect(snap.sources.map((s) => s.id)).toEqual([
      'showdown',
      'titans',
      'suitability',
      'planeks',
      'site24x7',
    ]);
    const sourceIds = new Set(snap.sources.map((s) => s.id));

    expect(snap.criteria.map((c) => c.id)).toEqual(template.criteria.map((c) => c.key));
    let claims = 0;
    for (const tc of template.criteria) {
      const c = snap.criteria.find((x) => x.id === tc.key)!;
      expect(tc.evidence.length, `${tc.key} has claims in the template`).toBeGreaterThan(0);
      // Every claim and editorial check, in order, with its id, option (or null) and origin.
      expect(
        c.evidence.map((e) => ({ id: e.id, optionId: e.optionId, text: e.text, origin: e.origin })),
      ).toEqual(
        tc.evidence.map((e) => ({
          id: e.id,
          optionId: e.option,
          text: e.text,
          origin:
            'editorial' in e
              ? { type: 'editorial', basis: e.editorial.basis, checks: e.editorial.checks }
              : { type: 'source', sourceId: e.source, locator: e.locator },
        })),
      );
      for (const e of c.evidence) {
        if (e.origin.type === 'source') expect(sourceIds.has(e.origin.sourceId)).toBe(true);
        else expect(e.origin.type).toBe('editorial');
        expect(e.optionId === null || ['django', 'node'].includes(e.optionId)).toBe(true);
        expect(e.id).toMatch(/\S/);
      }
      claims += c.evidence.length;
      // Every claim and contested marker is sealed by the server (see server/doc-seal.ts).
      for (const e of c.evidence) expect((e as { sig?: unknown }).sig).toMatch(/^[A-Za-z0-9_-]{22}$/);
      if (c.contested) expect((c.contested as { sig?: unknown }).sig).toMatch(/^[A-Za-z0-9_-]{22}$/);
      // Contested markers: each side quotes the claim it cites, with the claim's source and section.
      const templateClaims = new Map(
        template.criteria.flatMap((x) =>
          x.evidence.flatMap((e) => ('source' in e ? [[e.id, e] as const] : [])),
        ),
      );
      expect(c.contested && { summary: c.contested.summary, sides: c.contested.sides }).toEqual(
        tc.contested
          ? {
              summary: tc.contested.summary,
              sides: tc.contested.claims.map((id) => {
                const cited = templateClaims.get(id)!;
                return { sourceId: cited.source, claim: cited.text, claimId: id, locator: cited.locator };
              }),
            }
          : null,
      );
    }
    const ids = snap.criteria.flatMap((c) => c.evidence.map((e) => e.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(claims).toBe(template.criteria.reduce((n, c) => n + c.evidence.length, 0));
    expect(claims).toBeGreaterThanOrEqual(100);
    // Both options and the comparison bucket are represented.
    const optionIds = new Set(snap.criteria.flatMap((c) => c.evidence.map((e) => e.optionId)));
    expect(optionIds).toEqual(new Set(['django', 'node', null]));

    for (const key of ['learning-curve', 'scalability', 'performance', 'development-speed']) {
      const c = snap.criteria.find((x) => x.id === key)!;
      expect(c.contested, `${key} is contested`).not.toBeNull();
      expect(c.contested!.summary.length, `${key} has a summary`).toBeGreaterThan(20);
      expect(c.contested!.sides.length).toBeGreaterThanOrEqual(2);
      for (const side of c.contested!.sides) {
        expect(sourceIds.has(side.sourceId)).toBe(true);
        expect(side.claim).toMatch(/\S/);
      }
      // The sides come from at least two different articles: that is what "disagree" means.
      expect(new Set(c.contested!.sides.map((s) => s.sourceId)).size).toBeGreaterThanOrEqual(2);
    }
    expect(snap.criteria.find((c) => c.id === 'learning-curve')!.contested!.summary).toMatch(
      /easier to learn/,
    );
    expect(snap.criteria.find((c) => c.id === 'cost')!.contested).toBeNull();
  });

  it('the viewer room carries the same evidence and sources', async () => {
    const board = await env.createBoard();
    const viewer = await env.provider(board.viewerKey);
    const participant = await env.provider(board.id);
    const v = readBoard(viewer.doc);
    expect(v.sources.length).toBe(5);
    expect(v.criteria).toEqual(readBoard(participant.doc).criteria);
  });

  it('the blank template’s document has no evidence and no sources', async () => {
    const board = await env.createBoard('blank');
    const { doc } = await env.provider(board.id);
    const snap = readBoard(doc);
    expect(snap.options.map((o) => o.id)).toEqual(['option-a', 'option-b']);
    expect(snap.sources).toEqual([]);
    expect(snap.criteria).toEqual([]);
    expect(snap.criteria.flatMap((c) => c.evidence)).toEqual([]);
    expect(doc.getArray('sources').length).toBe(0);
  });
});

describe('evidence:add', () => {
  async function setup() {
    const board = await env.createBoard();
    const alice = await joinBoard(env, board.id, 'Alice');
    const observer = await env.provider(board.id);
    return { board, alice, observer };
  }

  it('[E3] a participant’s evidence reaches another client’s document, attributed to their name, with the url, apart from the sources', async () => {
    const { board, alice, observer } = await setup();
    const before = readBoard(observer.doc);
    const sourceClaimsBefore = before.criteria.find((c) => c.id === 'learning-curve')!.evidence;

    const state = expectOk(
      await alice.send<SessionState>(EVENTS.evidenceAdd, {
        criterionId: 'learning-curve',
        optionId: 'django',
        text: '  Our two juniors shipped a Django CRUD app in their first week.  ',
        url: 'https://example.com/retro?id=42',
      }),
    );
    expect(state.boardId).toBe(board.id);
    expectOk(
      await alice.send(EVENTS.evidenceAdd, {
        criterionId: 'performance',
        optionId: null,
        text: 'Our load test: both handled 2k rps behind nginx.',
      }),
    );

    await waitFor(
      () => allParticipantEvidence(readBoard(observer.doc)).length === 2,
      'observer sees evidence',
    );
    const after = readBoard(observer.doc);
    const lc = participantEvidence(after, 'learning-curve');
    expect(lc).toHaveLength(1);
    expect(lc[0]).toMatchObject({
      optionId: 'django',
      text: 'Our two juniors shipped a Django CRUD app in their first week.',
      origin: { type: 'participant', authorName: 'Alice', url: 'https://example.com/retro?id=42' },
    });
    expect(lc[0]!.id).toMatch(/\S/);
    expect(sourceClaimsBefore.map((e) => e.id)).not.toContain(lc[0]!.id);

    const perf = participantEvidence(after, 'performance');
    expect(perf).toHaveLength(1);
    expect(perf[0]).toMatchObject({
      optionId: null,
      text: 'Our load test: both handled 2k rps behind nginx.',
      origin: { type: 'participant', authorName: 'Alice' },
    });
    expect('url' in perf[0]!.origin).toBe(false);

    // The articles' claims are untouched and still marked as source evidence.
    const lcAll = after.criteria.find((c) => c.id === 'learning-curve')!.evidence;
    expect(lcAll.filter((e) => e.origin.type === 'source')).toEqual(sourceClaimsBefore);
    expect(lcAll.at(-1)!.origin.type).toBe('participant');
    // Nothing else in the board changed.
    expect({
      ...after,
      criteria: after.criteria.map((c) => ({
        ...c,
        evidence: c.evidence.filter((e) => e.origin.type !== 'participant'),
      })),
    }).toEqual(before);

    // Acknowledged means stored: the stored document has it too.
    const stored = await storedBoard(board.id);
    expect(participantEvidence(stored.board, 'learning-curve')).toEqual(lc);
    // And it survives a restart.
    await env.restart();
    const again = await env.provider(board.id);
    expect(participantEvidence(readBoard(again.doc), 'learning-curve')).toEqual(lc);
  });

  it('attribution uses the participant’s current display name, and a viewer document sees it', async () => {
    const { board, alice } = await setup();
    expectOk(await alice.send(EVENTS.participantRename, { name: 'Alice Liddell' }));
    expectOk(
      await alice.send(EVENTS.evidenceAdd, {
        criterionId: 'ecosystem',
        optionId: 'node',
        text: 'npm had every SDK we needed.',
      }),
    );
    const viewer = await env.provider(board.viewerKey);
    await waitFor(
      () => participantEvidence(readBoard(viewer.doc), 'ecosystem').length === 1,
      'viewer sees it',
    );
    expect(participantEvidence(readBoard(viewer.doc), 'ecosystem')[0]!.origin).toEqual({
      type: 'participant',
      authorName: 'Alice Liddell',
    });
  });

  it('evidence of exactly the maximum length is accepted', async () => {
    const { alice, observer } = await setup();
    const text = 'y'.repeat(LIMITS.MAX_EVIDENCE_CHARS);
    expectOk(await alice.send(EVENTS.evidenceAdd, { criterionId: 'cost', optionId: 'node', text }));
    await waitFor(
      () => participantEvidence(readBoard(observer.doc), 'cost').length === 1,
      'observer sees it',
    );
    expect(participantEvidence(readBoard(observer.doc), 'cost')[0]!.text).toBe(text);
  });

  const valid = { criterionId: 'learning-curve', optionId: 'node', text: 'A valid claim.' };
  it.each([
    ['empty text', { text: '' }, 'bad_request'],
    ['blank text', { text: '   ' }, 'bad_request'],
    ['text over the limit', { text: 'x'.repeat(LIMITS.MAX_EVIDENCE_CHARS + 1) }, 'bad_request'],
    ['multi-line text', { text: 'one\ntwo' }, 'bad_request'],
    ['text with a carriage return', { text: 'one\rtwo' }, 'bad_request'],
    ['a javascript: url', { url: 'javascript:alert(1)' }, 'bad_request'],
    ['a JavaScript: url in mixed case', { url: 'JavaScript:alert(document.cookie)' }, 'bad_request'],
    ['a data: url', { url: 'data:text/html,<script>alert(1)</script>' }, 'bad_request'],
    ['a relative url', { url: '/api/boards' }, 'bad_request'],
    ['a scheme-less url', { url: 'example.com/page' }, 'bad_request'],
    [
      'a url over the limit',
      { url: `https://example.com/${'a'.repeat(LIMITS.MAX_URL_CHARS)}` },
      'bad_request',
    ],
    ['a non-string text', { text: 42 }, 'bad_request'],
    ['a missing optionId', { optionId: undefined }, 'bad_request'],
    ['an unknown criterion', { criterionId: 'not-a-criterion' }, 'unknown_cell'],
    ['an unknown option', { optionId: 'cobol' }, 'unknown_cell'],
    ['an extra field', { authorName: 'Mallory' }, 'bad_request'],
    ['an extra origin field', { origin: { type: 'source', sourceId: 'showdown' } }, 'bad_request'],
  ])('%s is refused with a typed error and nothing is stored', async (_what, patch, code) => {
    const { board, alice, observer } = await setup();
    const storedBefore = await storedBoard(board.id);
    const serverBefore = await serverBoard(board.id);

    const r = await alice.send(EVENTS.evidenceAdd, { ...valid, ...patch });
    expect(r).toMatchObject({ ok: false, error: { code } });
    if (!r.ok) expect(r.error.message).toMatch(/\S/);

    const storedAfter = await storedBoard(board.id);
    expect(storedAfter.count).toBe(storedBefore.count);
    expect(storedAfter.lastSeq).toBe(storedBefore.lastSeq);
    expect(storedAfter.board).toEqual(storedBefore.board);
    expect(await serverBoard(board.id)).toEqual(serverBefore);

    // A valid claim sent afterwards is the only participant evidence anyone receives.
    expectOk(await alice.send(EVENTS.evidenceAdd, { ...valid, text: 'sentinel' }));
    await waitFor(() => allParticipantEvidence(readBoard(observer.doc)).length > 0, 'sentinel arrives');
    expect(allParticipantEvidence(readBoard(observer.doc)).map((e) => e.text)).toEqual(['sentinel']);
  });

  it('[R1] a viewer cannot add evidence (read_only) and nothing is stored', async () => {
    const { board } = await setup();
    const viewer = await joinBoard(env, board.id, 'ignored', { as: 'viewer', viewerKey: board.viewerKey });
    expect(viewer.latest().role).toBe('viewer');
    const before = await storedBoard(board.id);
    const r = await viewer.send(EVENTS.evidenceAdd, valid);
    expect(r).toMatchObject({ ok: false, error: { code: 'read_only' } });
    const after = await storedBoard(board.id);
    expect(after.lastSeq).toBe(before.lastSeq);
    expect(allParticipantEvidence(after.board)).toEqual([]);
    expect(allParticipantEvidence(await serverBoard(board.id))).toEqual([]);
  });

  it('a socket that has not joined gets not_joined and nothing is stored', async () => {
    const { board } = await setup();
    const socket = env.socket();
    const before = await storedBoard(board.id);
    const r = await command(socket, EVENTS.evidenceAdd, valid);
    expect(r).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    const after = await storedBoard(board.id);
    expect(after.lastSeq).toBe(before.lastSeq);
    expect(allParticipantEvidence(after.board)).toEqual([]);
  });

  it('[R6] evidence on a locked board is refused (board_locked) and nothing is stored; after unlocking it is accepted', async () => {
    const board = await env.createBoard();
    const fac: Member = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    const observer = await env.provider(board.id);
    expectOk(await fac.send(EVENTS.boardLock, {}));
    await until(alice, (st) => st.settings.status === 'locked', 'alice sees the lock');

    const before = await storedBoard(board.id);
    expect(await alice.send(EVENTS.evidenceAdd, valid)).toMatchObject({
      ok: false,
      error: { code: 'board_locked' },
    });
    // The facilitator is refused too.
    expect(await fac.send(EVENTS.evidenceAdd, valid)).toMatchObject({
      ok: false,
      error: { code: 'board_locked' },
    });
    const after = await storedBoard(board.id);
    expect(after.lastSeq).toBe(before.lastSeq);
    expect(after.board).toEqual(before.board);
    expect(allParticipantEvidence(await serverBoard(board.id))).toEqual([]);

    expectOk(await fac.send(EVENTS.boardUnlock, {}));
    expectOk(await alice.send(EVENTS.evidenceAdd, { ...valid, text: 'after unlock' }));
    await waitFor(() => allParticipantEvidence(readBoard(observer.doc)).length > 0, 'observer sees it');
    expect(allParticipantEvidence(readBoard(observer.doc)).map((e) => e.text)).toEqual(['after unlock']);
  });

  it('[R6] evidence on a finalized board is refused', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    const before = await storedBoard(board.id);
    expect(await alice.send(EVENTS.evidenceAdd, valid)).toMatchObject({
      ok: false,
      error: { code: 'board_locked' },
    });
    const after = await storedBoard(board.id);
    expect(allParticipantEvidence(after.board)).toEqual([]);
    expect(after.board.criteria).toEqual(before.board.criteria);
  });
});
