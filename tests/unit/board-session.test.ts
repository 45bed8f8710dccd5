import { beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { z } from 'zod';
import { addCriterion, addOption, getOptions } from '@/lib/board-schema';
import {
  BoardSession,
  type BoardShape,
  byPseudonymThenCell,
  CommandError,
  ensure,
  parse,
  pseudonymNumber,
  roundPseudonyms,
  shapeOfDoc,
} from '@/server/board-session';
import {
  type BoardSettings,
  DEFAULT_SETTINGS,
  type ParticipantRow,
  type RoundRow,
  type ScoreRow,
} from '@/server/storage/types';

/**
 * The in-memory session of one board (server/board-session.ts): what each client's rounds say
 * (the projection the session server sends), rendered from per-person counts that a ballot
 * updates for one person only, and brought up to date from another process's writes.
 */

const SHAPE: BoardShape = { criterionIds: ['c1', 'c2'], optionIds: ['o1', 'o2'] };
const CELLS = SHAPE.criterionIds.flatMap((criterionId) =>
  SHAPE.optionIds.map((optionId) => ({ criterionId, optionId })),
);
const SECRET = new Uint8Array(32).fill(7);

const person = (id: string, extra: Partial<ParticipantRow> = {}): ParticipantRow => ({
  id,
  boardId: 'b1',
  name: id.toUpperCase(),
  tokenHash: `t-${id}`,
  createdAt: '2026-11-29T10:00:00.000Z',
  spectator: false,
  removed: false,
  ...extra,
});
const round = (id: string, number: number, extra: Partial<RoundRow> = {}): RoundRow => ({
  id,
  boardId: 'b1',
  number,
  mode: 'blind',
  startedAt: '2026-11-29T10:01:00.000Z',
  revealedAt: null,
  anonymous: false,
  ...extra,
});
const score = (
  roundId: string,
  participantId: string,
  cell: { criterionId: string; optionId: string },
  value: number | null,
  extra: Partial<ScoreRow> = {},
): ScoreRow => ({
  boardId: 'b1',
  roundId,
  participantId,
  ...cell,
  value,
  rationale: `${participantId} says ${value}`,
  updatedAt: '2026-11-29T10:02:00.000Z',
  carried: false,
  ...extra,
});

function session(
  opts: {
    rounds?: RoundRow[];
    people?: ParticipantRow[];
    scores?: ScoreRow[];
    settings?: Partial<BoardSettings>;
  } = {},
) {
  return new BoardSession(
    'b1',
    { ...DEFAULT_SETTINGS, ...opts.settings },
    opts.people ?? [person('ann'), person('bob'), person('cy', { spectator: true })],
    opts.rounds ?? [round('r1', 1)],
    opts.scores ?? [],
    'viewer-key',
    SECRET,
  );
}

const progressOf = (s: BoardSession, viewer: string | null = null, shape = SHAPE) =>
  s.roundViews(viewer, shape).at(-1)!.progress;

describe('BoardSession: what a round says', () => {
  let s: BoardSession;
  beforeEach(() => {
    s = session();
  });

  it('[P1] until the reveal a blind round shows nobody’s scores; each person’s own are in `mine` only', () => {
    for (const cell of CELLS) s.putScore(score('r1', 'ann', cell, 2));
    s.putScore(score('r1', 'bob', CELLS[0]!, 4));
    const forBob = s.roundViews('bob', SHAPE)[0]!;
    expect(forBob.scores).toBeNull();
    expect(forBob.mine).toEqual([{ participantId: 'bob', ...CELLS[0]!, value: 4, rationale: 'bob says 4' }]);
    expect(s.roundViews(null, SHAPE)[0]!.mine).toEqual([]);
    s.rounds[0] = { ...s.rounds[0]!, revealedAt: '2026-11-29T10:05:00.000Z' };
    const revealed = s.roundViews('bob', SHAPE)[0]!;
    expect(revealed.status).toBe('revealed');
    expect(revealed.scores).toHaveLength(5);
    expect(revealed.scores!.filter((x) => x.participantId === 'ann').map((x) => x.value)).toEqual([
      2, 2, 2, 2,
    ]);
  });

  it('progress counts each voter’s cells of the current shape: spectators and removed people are not voters, carried cells are not done until changed', () => {
    s.putScore(score('r1', 'ann', CELLS[0]!, 1));
    s.putScore(score('r1', 'ann', CELLS[1]!, null)); // an abstention counts
    s.putScore(score('r1', 'bob', CELLS[0]!, 3, { carried: true }));
    s.putScore(score('r1', 'cy', CELLS[0]!, 3)); // a spectator's score (from before) is no progress
    expect(progressOf(s)).toEqual([
      { participantId: 'ann', done: false, scored: 2, total: 4 },
      { participantId: 'bob', done: false, scored: 0, total: 4 },
    ]);
    const view = s.roundViews(null, SHAPE)[0]!;
    expect(view.voters).toBe(2);
    expect(view.finished).toBe(0);
    // Bob changes his carried score, Ann finishes: both recounted.
    s.putScore(score('r1', 'bob', CELLS[0]!, 5));
    s.putScore(score('r1', 'ann', CELLS[2]!, 1));
    s.putScore(score('r1', 'ann', CELLS[3]!, 1));
    expect(progressOf(s)).toEqual([
      { participantId: 'ann', done: true, scored: 4, total: 4 },
      { participantId: 'bob', done: false, scored: 1, total: 4 },
    ]);
    expect(s.roundViews(null, SHAPE)[0]!.finished).toBe(1);
    // A cleared score is recounted too.
    s.deleteScore({ roundId: 'r1', participantId: 'ann', ...CELLS[3]! });
    expect(progressOf(s)[0]).toEqual({ participantId: 'ann', done: false, scored: 3, total: 4 });
    s.participants = s.participants.map((p) => (p.id === 'bob' ? { ...p, removed: true } : p));
    expect(progressOf(s).map((p) => p.participantId)).toEqual(['ann']);
  });

  it('a person whose count did not change keeps the same progress entry (patches compare it by identity)', () => {
    s.putScore(score('r1', 'ann', CELLS[0]!, 1));
    const before = progressOf(s);
    s.putScore(score('r1', 'bob', CELLS[0]!, 2));
    const after = progressOf(s);
    expect(after[0]).toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    // Nothing changed: the same round view, whole.
    expect(s.sharedRoundViews(SHAPE)[0]).toBe(s.sharedRoundViews(SHAPE)[0]);
  });

  it('scores on cells that are gone are counted as left out, not as progress; the counts follow a new shape', () => {
    for (const cell of CELLS) s.putScore(score('r1', 'ann', cell, 3));
    const smaller: BoardShape = { criterionIds: ['c1'], optionIds: ['o1', 'o2'] };
    const view = s.roundViews(null, smaller)[0]!;
    expect(view.orphanedScores).toBe(2);
    expect(view.progress[0]).toEqual({ participantId: 'ann', done: true, scored: 2, total: 2 });
    const bigger: BoardShape = { criterionIds: ['c1', 'c2', 'c3'], optionIds: ['o1', 'o2'] };
    expect(s.roundViews(null, bigger)[0]!.progress[0]).toEqual({
      participantId: 'ann',
      done: false,
      scored: 4,
      total: 6,
    });
    expect(s.roundViews(null, bigger)[0]!.orphanedScores).toBe(0);
    expect(s.progress('r1', SHAPE).get('ann')).toBe(4);
  });

  it('[P3] an anonymous round says who is done but never how far, and nothing per person once its scores show', () => {
    const anon = session({ rounds: [round('r1', 1, { anonymous: true })] });
    anon.putScore(score('r1', 'ann', CELLS[0]!, 1));
    for (const cell of CELLS) anon.putScore(score('r1', 'bob', cell, 2));
    expect(progressOf(anon)).toEqual([
      { participantId: 'ann', done: false, scored: null, total: 4 },
      { participantId: 'bob', done: true, scored: null, total: 4 },
    ]);
    expect(anon.roundViews(null, SHAPE)[0]!.finished).toBe(1);
    anon.rounds[0] = { ...anon.rounds[0]!, revealedAt: '2026-11-29T10:05:00.000Z' };
    const revealed = anon.roundViews('ann', SHAPE)[0]!;
    expect(revealed.progress).toEqual([]);
    expect(revealed.finished).toBe(1);
    const names = new Set(revealed.scores!.map((x) => x.participantId));
    expect([...names].sort()).toEqual(['anon-1', 'anon-2']);
    // Her own scores keep her id in `mine`.
    expect(revealed.mine.map((x) => x.participantId)).toEqual(['ann']);
  });

  it('auto-reveal is due only when it is on, a round is open and every present voter is done', () => {
    const auto = session({ settings: { autoReveal: true } });
    const online = new Set(['ann', 'bob']);
    expect(auto.autoRevealDue(online, SHAPE)).toBe(false);
    for (const cell of CELLS) auto.putScore(score('r1', 'ann', cell, 1));
    expect(auto.autoRevealDue(online, SHAPE)).toBe(false);
    expect(auto.autoRevealDue(new Set(['ann']), SHAPE)).toBe(true);
    expect(auto.autoRevealDue(new Set(), SHAPE)).toBe(false);
    for (const cell of CELLS) auto.putScore(score('r1', 'bob', cell, 1, { carried: true }));
    expect(auto.autoRevealDue(online, SHAPE)).toBe(false);
    for (const cell of CELLS) auto.putScore(score('r1', 'bob', cell, 2));
    expect(auto.autoRevealDue(online, SHAPE)).toBe(true);
    expect(session({ settings: { autoReveal: false } }).autoRevealDue(new Set(), SHAPE)).toBe(false);
  });
});

describe('BoardSession.catchUp: another process’s writes', () => {
  it('[S5] applied to a copy read earlier, the changes since give exactly the session a whole reload builds', () => {
    const people = [person('ann'), person('bob')];
    const rounds = [round('r1', 1)];
    const early = [
      score('r1', 'ann', CELLS[0]!, 1),
      score('r1', 'ann', CELLS[1]!, 2),
      score('r1', 'bob', CELLS[0]!, 3),
      score('r1', 'bob', CELLS[1]!, 4),
    ];
    const copy = session({ people, rounds, scores: early });
    // Rendered once, so its caches hold the old counts.
    expect(progressOf(copy).map((p) => p.scored)).toEqual([2, 2]);

    // Since: Ann changed one and cleared one, Bob's first was cleared then set again, Bob was
    // removed, the round revealed, the scale changed.
    const later = {
      version: 9,
      settings: { ...DEFAULT_SETTINGS, scaleMax: 7 },
      participants: [people[0]!, { ...people[1]!, removed: true }],
      rounds: [{ ...rounds[0]!, revealedAt: '2026-11-29T10:05:00.000Z' }],
      upserted: [score('r1', 'ann', CELLS[0]!, 5), score('r1', 'bob', CELLS[0]!, 6)],
      deleted: [{ boardId: 'b1', roundId: 'r1', participantId: 'ann', ...CELLS[1]! }],
    };
    copy.catchUp(later);
    const reloaded = session({
      people: later.participants,
      rounds: later.rounds,
      scores: [score('r1', 'ann', CELLS[0]!, 5), score('r1', 'bob', CELLS[0]!, 6), early[3]!],
      settings: later.settings,
    });
    for (const viewer of ['ann', 'bob', null]) {
      expect(copy.roundViews(viewer, SHAPE)).toEqual(reloaded.roundViews(viewer, SHAPE));
    }
    expect(copy.settingsView()).toEqual(reloaded.settingsView());
    expect(copy.roster(new Map())).toEqual(reloaded.roster(new Map()));
    expect(copy.allScores().length).toBe(3);
  });
});

describe('board-session helpers', () => {
  it('[P3] pseudonyms number every scorer once, from 1, in an order drawn per round and board with the secret', () => {
    const ids = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8'];
    const names = roundPseudonyms(SECRET, 'b1', 'r1', [...ids, 'p1']);
    expect([...names.values()].sort()).toEqual(ids.map((_, i) => `anon-${i + 1}`).sort());
    expect(names.size).toBe(ids.length);
    // The same inputs, the same names; the order does not follow the input order.
    expect(roundPseudonyms(SECRET, 'b1', 'r1', [...ids].reverse())).toEqual(names);
    const order = (m: Map<string, string>) => ids.map((id) => m.get(id)).join(',');
    expect(order(names)).not.toBe(ids.map((_, i) => `anon-${i + 1}`).join(','));
    // Drawn again for another round, another board, another installation.
    expect(order(roundPseudonyms(SECRET, 'b1', 'r2', ids))).not.toBe(order(names));
    expect(order(roundPseudonyms(SECRET, 'b2', 'r1', ids))).not.toBe(order(names));
    expect(order(roundPseudonyms(new Uint8Array(32).fill(8), 'b1', 'r1', ids))).not.toBe(order(names));
  });

  it('[P3] anonymous scores sort by pseudonym number (anon-2 before anon-10), then criterion, then option', () => {
    expect(pseudonymNumber('anon-12')).toBe(12);
    expect(pseudonymNumber('anon-x')).toBe(Number.MAX_SAFE_INTEGER);
    expect(pseudonymNumber('xanon-1')).toBe(Number.MAX_SAFE_INTEGER);
    expect(pseudonymNumber('anon-1234567')).toBe(Number.MAX_SAFE_INTEGER);
    const rows = [
      { participantId: 'anon-10', criterionId: 'a', optionId: 'a' },
      { participantId: 'anon-2', criterionId: 'b', optionId: 'a' },
      { participantId: 'anon-2', criterionId: 'a', optionId: 'b' },
      { participantId: 'anon-2', criterionId: 'a', optionId: 'a' },
      { participantId: 'zed', criterionId: 'a', optionId: 'a' },
    ];
    expect(
      [...rows].sort(byPseudonymThenCell).map((r) => `${r.participantId}/${r.criterionId}/${r.optionId}`),
    ).toEqual(['anon-2/a/a', 'anon-2/a/b', 'anon-2/b/a', 'anon-10/a/a', 'zed/a/a']);
    expect(byPseudonymThenCell(rows[3]!, { ...rows[3]! })).toBe(0);
  });

  it('the shape of a document is the ids of its criteria and options, in order, skipping entries without an id', () => {
    const doc = new Y.Doc();
    addCriterion(doc, { id: 'c1', name: 'One', description: '', weight: 3 });
    addCriterion(doc, { id: 'c2', name: 'Two', description: '', weight: 3 });
    addOption(doc, { id: 'o1', name: 'Django', description: '' });
    getOptions(doc).push([new Y.Map()]);
    expect(shapeOfDoc(doc)).toEqual({ criterionIds: ['c1', 'c2'], optionIds: ['o1'] });
  });

  it('a refused command is a typed error naming the problem; a bad payload is bad_request', () => {
    expect(() => ensure(false, 'round_closed', 'this round was revealed')).toThrow(
      expect.objectContaining({ code: 'round_closed', message: 'this round was revealed' }),
    );
    expect(() => ensure(1, 'round_closed', 'x')).not.toThrow();
    const schema = z.object({ value: z.number() });
    expect(parse(schema, { value: 3 })).toEqual({ value: 3 });
    expect(() => parse(schema, undefined)).toThrow(CommandError);
    expect(() => parse(schema, { value: 'x' })).toThrow(expect.objectContaining({ code: 'bad_request' }));
  });

  it('seats, voters, the roster and the settings as clients see them (the same objects while unchanged)', () => {
    const s = session({
      people: [person('ann'), person('bob', { removed: true }), person('cy', { spectator: true })],
    });
    expect(s.seatsTaken).toBe(2);
    expect(s.voters().map((p) => p.id)).toEqual(['ann']);
    expect(s.participant('bob')?.removed).toBe(true);
    expect(s.hasAnyScore).toBe(false);
    s.putScore(score('r1', 'ann', CELLS[0]!, 1));
    expect(s.hasAnyScore).toBe(true);
    expect(s.currentRound?.id).toBe('r1');
    expect(s.openRound?.id).toBe('r1');
    const online = new Map<string, 'facilitator' | 'participant'>([['ann', 'facilitator']]);
    const roster = s.roster(online);
    expect(roster).toEqual([
      { id: 'ann', name: 'ANN', role: 'facilitator', online: true, spectator: false },
      { id: 'cy', name: 'CY', role: 'participant', online: false, spectator: true },
    ]);
    expect(s.roster(new Map(online))).toBe(roster);
    expect(s.roster(new Map([['ann', 'participant']]))).not.toBe(roster);
    s.participants = s.participants.map((p) => (p.id === 'cy' ? { ...p, name: 'Cyd' } : p));
    expect(s.roster(new Map(online))[1]?.name).toBe('Cyd');
    const settings = s.settingsView();
    expect(settings).toMatchObject({
      scale: { min: 1, max: 5 },
      autoReveal: false,
      status: 'open',
      timer: null,
    });
    expect(s.settingsView()).toBe(settings);
    s.settings = { ...s.settings, scaleMax: 7 };
    expect(s.settingsView().scale.max).toBe(7);
    s.rounds[0] = { ...s.rounds[0]!, revealedAt: '2026-11-29T10:05:00.000Z' };
    expect(s.openRound).toBeNull();
    expect(s.roundScores('r1')).toHaveLength(1);
    expect(s.allScores()).toHaveLength(1);
  });
});

describe('BoardSession: edges mutation testing found unguarded', () => {
  it('a round nobody scored yet: no progress, nothing left out, nobody counted; clearing a score nobody cast is harmless', () => {
    const s = session();
    const view = s.roundViews('ann', SHAPE)[0]!;
    expect(view.orphanedScores).toBe(0);
    expect(view.finished).toBe(0);
    expect(view.progress.map((p) => p.scored)).toEqual([0, 0]);
    expect([...s.progress('r1', SHAPE)]).toEqual([]);
    s.deleteScore({ roundId: 'r1', participantId: 'ann', ...CELLS[0]! });
    s.deleteScore({ roundId: 'r9', participantId: 'ann', ...CELLS[0]! });
    expect(s.roundViews('ann', SHAPE)[0]!.mine).toEqual([]);
    // Only people with cells done are in the counts (carried ones are not done).
    s.putScore(score('r1', 'bob', CELLS[0]!, 3, { carried: true }));
    s.putScore(score('r1', 'ann', CELLS[0]!, 3));
    expect([...s.progress('r1', SHAPE)]).toEqual([['ann', 1]]);
  });

  it('a board without cells: nobody is done and nothing is due', () => {
    const s = session({ settings: { autoReveal: true } });
    const empty: BoardShape = { criterionIds: [], optionIds: ['o1'] };
    expect(s.roundViews(null, empty)[0]!.progress.every((p) => !p.done)).toBe(true);
    expect(s.autoRevealDue(new Set(['ann', 'bob']), empty)).toBe(false);
  });

  it('auto-reveal: off, or no open round, is never due; one cell of four is not done', () => {
    const done = (s: BoardSession) => {
      for (const cell of CELLS) for (const who of ['ann', 'bob']) s.putScore(score('r1', who, cell, 2));
    };
    const off = session({ settings: { autoReveal: false } });
    done(off);
    expect(off.autoRevealDue(new Set(['ann', 'bob']), SHAPE)).toBe(false);
    const revealed = session({
      settings: { autoReveal: true },
      rounds: [round('r1', 1, { revealedAt: '2026-11-29T10:05:00.000Z' })],
    });
    done(revealed);
    expect(revealed.autoRevealDue(new Set(['ann', 'bob']), SHAPE)).toBe(false);
    const one = session({ settings: { autoReveal: true } });
    one.putScore(score('r1', 'ann', CELLS[0]!, 2));
    expect(one.autoRevealDue(new Set(['ann']), SHAPE)).toBe(false);
  });

  it('shapes whose ids run together are still told apart (the cells are recounted)', () => {
    const s = session();
    for (const cell of [
      { criterionId: 'a', optionId: 'b' },
      { criterionId: 'a', optionId: 'c' },
    ])
      s.putScore(score('r1', 'ann', cell, 2));
    const one: BoardShape = { criterionIds: ['a'], optionIds: ['b', 'c'] };
    const other: BoardShape = { criterionIds: ['a', 'b'], optionIds: ['c'] };
    expect(s.roundViews(null, one)[0]!.progress[0]!.scored).toBe(2);
    expect(s.roundViews(null, other)[0]!.progress[0]!.scored).toBe(1);
    expect(s.roundViews(null, other)[0]!.orphanedScores).toBe(1);
    // Ids that would run together without a separator between them, or between the two lists.
    const t = session();
    for (const [criterionId, optionId] of [
      ['a', 'c'],
      ['b', 'c'],
      ['ab', 'c'],
    ] as const)
      t.putScore(score('r1', 'ann', { criterionId, optionId }, 2));
    const split: BoardShape = { criterionIds: ['a', 'b'], optionIds: ['c'] };
    const joined: BoardShape = { criterionIds: ['ab'], optionIds: ['c'] };
    expect(t.roundViews(null, split)[0]!.progress[0]!.scored).toBe(2);
    expect(t.roundViews(null, joined)[0]!.progress[0]!.scored).toBe(1);
    const across: BoardShape = { criterionIds: ['a'], optionIds: ['bc'] };
    expect(t.roundViews(null, across)[0]!.progress[0]!.scored).toBe(0);
    expect(t.roundViews(null, joined)[0]!.progress[0]!.scored).toBe(1);
    for (const optionId of ['x', 'y', 'xy'])
      t.putScore(score('r1', 'ann', { criterionId: 'z', optionId }, 2));
    expect(t.roundViews(null, { criterionIds: ['z'], optionIds: ['x', 'y'] })[0]!.progress[0]!.scored).toBe(
      2,
    );
    expect(t.roundViews(null, { criterionIds: ['z'], optionIds: ['xy'] })[0]!.progress[0]!.scored).toBe(1);
  });

  it('a new shape with the same count done gives a new entry with the new total', () => {
    const s = session();
    s.putScore(score('r1', 'ann', CELLS[0]!, 2));
    expect(progressOf(s)[0]).toEqual({ participantId: 'ann', done: false, scored: 1, total: 4 });
    const wider: BoardShape = { criterionIds: ['c1', 'c2', 'c3'], optionIds: ['o1', 'o2'] };
    expect(progressOf(s, null, wider)[0]).toEqual({ participantId: 'ann', done: false, scored: 1, total: 6 });
  });

  it('voters swapped at the same count (one starts spectating, another stops) are shown as they are now', () => {
    const s = session();
    expect(progressOf(s).map((p) => p.participantId)).toEqual(['ann', 'bob']);
    s.participants = s.participants.map((p) =>
      p.id === 'bob' ? { ...p, spectator: true } : p.id === 'cy' ? { ...p, spectator: false } : p,
    );
    expect(progressOf(s).map((p) => p.participantId)).toEqual(['ann', 'cy']);
  });

  it('`mine` is the same object while the person’s scores are unchanged, and new when they change', () => {
    const s = session();
    s.putScore(score('r1', 'ann', CELLS[0]!, 2));
    const mine = s.roundViews('ann', SHAPE)[0]!.mine;
    s.putScore(score('r1', 'bob', CELLS[0]!, 4));
    expect(s.roundViews('ann', SHAPE)[0]!.mine).toBe(mine);
    s.putScore(score('r1', 'ann', CELLS[1]!, 3));
    expect(s.roundViews('ann', SHAPE)[0]!.mine).toHaveLength(2);
  });

  it('[P3] an open-mode anonymous round shows scores live: someone who scores later gets a pseudonym too', () => {
    const s = session({ rounds: [round('r1', 1, { mode: 'open', anonymous: true })] });
    s.putScore(score('r1', 'ann', CELLS[0]!, 2));
    expect(s.roundViews(null, SHAPE)[0]!.scores!.map((x) => x.participantId)).toEqual(['anon-1']);
    s.putScore(score('r1', 'bob', CELLS[0]!, 4));
    const names = s.roundViews(null, SHAPE)[0]!.scores!.map((x) => x.participantId);
    expect([...names].sort()).toEqual(['anon-1', 'anon-2']);
  });
});
