import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AGREEMENT_BAND_LIMITS,
  agreementBand,
  computeConsensus,
  median,
  rwg,
  sampleVariance,
} from '../../lib/consensus';
import type { ConsensusInput, ConsensusResult, Scale, Score } from '../../lib/consensus-types';

const LIKERT: Scale = { min: 1, max: 5 };

/** A board from a compact table: `scores[criterionId][optionId]` lists values in participant order. */
function board(spec: {
  scale?: Scale;
  weights: Record<string, number>;
  options: string[];
  participants: string[];
  scores: Record<string, Record<string, (number | null)[]>>;
}): ConsensusInput {
  const scores: Score[] = [];
  for (const [criterionId, row] of Object.entries(spec.scores)) {
    for (const [optionId, values] of Object.entries(row)) {
      values.forEach((value, i) => {
        if (value !== null)
          scores.push({ participantId: spec.participants[i]!, criterionId, optionId, value });
      });
    }
  }
  return {
    scale: spec.scale ?? LIKERT,
    options: spec.options.map((id) => ({ id, name: id })),
    criteria: Object.entries(spec.weights).map(([id, weight]) => ({ id, name: id, weight })),
    participants: spec.participants.map((id) => ({ id, name: id })),
    scores,
  };
}

const cellOf = (result: ConsensusResult, criterionId: string, optionId: string) =>
  result.cells.find((c) => c.criterionId === criterionId && c.optionId === optionId)!;
const totalOf = (result: ConsensusResult, optionId: string) =>
  result.totals.find((t) => t.optionId === optionId)!;
const withWeight = (input: ConsensusInput, ci: number, weight: number): ConsensusInput => ({
  ...input,
  criteria: input.criteria.map((c, i) => (i === ci ? { ...c, weight } : c)),
});

describe('r_wg and agreement bands (hand-worked)', () => {
  it.each([
    // [3,3,3]: s² = 0 → r_wg = 1 − 0/2 = 1.
    { values: [3, 3, 3], scale: LIKERT, expected: 1, band: 'very-strong' },
    // [1,5]: mean 3, s² = (4 + 4)/1 = 8; σ²_EU = (5² − 1)/12 = 2; 1 − 8/2 = −3 → clamped to 0.
    { values: [1, 5], scale: LIKERT, expected: 0, band: 'none' },
    // [2,3,4]: mean 3, s² = (1 + 0 + 1)/2 = 1; r_wg = 1 − 1/2 = .5 (the weak band is inclusive of .50).
    { values: [2, 3, 4], scale: LIKERT, expected: 0.5, band: 'weak' },
    // [5,4,5]: mean 14/3, s² = (66 − 196/3)/2 = 1/3; r_wg = 1 − (1/3)/2 = 5/6 ≈ .833.
    { values: [5, 4, 5], scale: LIKERT, expected: 5 / 6, band: 'strong' },
    // 0–10 scale: A = 11, σ²_EU = (121 − 1)/12 = 10.
    // [6,7,8,7]: mean 7, s² = (1 + 0 + 1 + 0)/3 = 2/3; r_wg = 1 − (2/3)/10 = 14/15 ≈ .933.
    { values: [6, 7, 8, 7], scale: { min: 0, max: 10 }, expected: 14 / 15, band: 'very-strong' },
    // [5,7]: s² = (1 + 1)/1 = 2; r_wg = 1 − 2/10 = .8.
    { values: [5, 7], scale: { min: 0, max: 10 }, expected: 0.8, band: 'strong' },
    // [2,5,8]: s² = (9 + 0 + 9)/2 = 9; r_wg = 1 − 9/10 = .1.
    { values: [2, 5, 8], scale: { min: 0, max: 10 }, expected: 0.1, band: 'none' },
    // Eleven scores [2,2,2,3,3,3,3,3,4,4,4]: s² = 6/10 = .6; r_wg = 1 − .6/2 = .70 exactly in
    // arithmetic, and 'moderate' even though floating point may land a hair above .70.
    { values: [2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4], scale: LIKERT, expected: 0.7, band: 'moderate' },
    // One score: no r_wg.
    { values: [4], scale: LIKERT, expected: null, band: 'not-enough-scores' },
  ])('$values on $scale.min–$scale.max gives r_wg $expected ($band)', ({ values, scale, expected, band }) => {
    const value = rwg(values, scale);
    if (expected === null) expect(value).toBeNull();
    else expect(value).toBeCloseTo(expected, 12);
    expect(agreementBand(value)).toBe(band);
  });

  it.each([
    [0, 'none'],
    [0.3, 'none'],
    [0.3001, 'weak'],
    [0.31, 'weak'],
    [0.5, 'weak'],
    [0.5001, 'moderate'],
    [0.7, 'moderate'],
    [0.7001, 'strong'],
    [0.9, 'strong'],
    [0.9001, 'very-strong'],
    [1, 'very-strong'],
    [null, 'not-enough-scores'],
  ] as const)('band edges are inclusive upper limits: %s is %s', (value, band) => {
    expect(agreementBand(value)).toBe(band);
  });

  it('publishes the band limits it uses', () => {
    expect(AGREEMENT_BAND_LIMITS).toEqual({ none: 0.3, weak: 0.5, moderate: 0.7, strong: 0.9 });
  });

  it('median and sample variance follow the textbook definitions', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(sampleVariance([3])).toBeNull();
    expect(sampleVariance([1, 5])).toBe(8);
    expect(sampleVariance([0.5, 1.5])).toBe(0.5);
  });
});

describe('variance and r_wg at their edges', () => {
  it('[C1] integer scores take exact arithmetic with one rounding: 0, 3 and 10 give exactly 79/3', () => {
    // The two-pass formula gives 26.333333333333336 here; exact equality keeps ties real ties.
    expect(sampleVariance([0, 3, 10])).toBe(79 / 3);
    expect(sampleVariance([10, 0, 3])).toBe(79 / 3);
  });

  it('[C1] other values take the two-pass formula, dividing by n − 1', () => {
    expect(sampleVariance([1.5, 2.5, 3.5])).toBe(1);
    expect(sampleVariance([0.5, 1])).toBe(0.125);
  });

  it('[C1] integers too large for exact arithmetic take the two-pass formula and stay right', () => {
    expect(sampleVariance([2 ** 30, 2 ** 30 + 2])).toBe(2);
    expect(sampleVariance([2 ** 52, 2 ** 52 + 2, 2 ** 52 + 4])).toBe(4);
  });

  it('[C1] r_wg of values that are not finite numbers is null, never NaN', () => {
    expect(rwg([3, Number.NaN], LIKERT)).toBeNull();
    expect(rwg([3, Number.POSITIVE_INFINITY], LIKERT)).toBeNull();
  });

  it('[C2] a negative or non-finite weight counts as zero', () => {
    const input = board({
      weights: { a: -5, b: 1, c: Number.POSITIVE_INFINITY, d: Number.NaN },
      options: ['x', 'y'],
      participants: ['p'],
      scores: { a: { x: [1], y: [5] }, b: { x: [4], y: [2] }, c: { x: [1], y: [5] }, d: { x: [1], y: [5] } },
    });
    const result = computeConsensus(input);
    expect(totalOf(result, 'x').total).toBe(4);
    expect(totalOf(result, 'y').total).toBe(2);
    expect(result.leaderId).toBe('x');
  });
});

describe('cells, totals, leader and support (hand-worked)', () => {
  // Performance weighs 3, learning curve 1 → normalized .75 and .25.
  //                 Django      Node
  //   performance   3, 4, 2     5, 4, 5    means 3 and 14/3
  //   learning      4, 5, 4     3, 2, 3    means 13/3 and 8/3
  // Django = .75·3 + .25·13/3 = 2.25 + 13/12 = 10/3 ≈ 3.333
  // Node   = .75·14/3 + .25·8/3 = 3.5 + 2/3 = 25/6 ≈ 4.167 → leader Node, margin 25/6 − 10/3 = 5/6.
  // Per person: ana   Django .75·3 + .25·4 = 3.25, Node .75·5 + .25·3 = 4.5 → Node
  //             ben   Django .75·4 + .25·5 = 4.25, Node .75·4 + .25·2 = 3.5 → Django
  //             chloe Django .75·2 + .25·4 = 2.5,  Node .75·5 + .25·3 = 4.5 → Node   → support 2/3.
  const input = board({
    weights: { performance: 3, learning: 1 },
    options: ['django', 'node'],
    participants: ['ana', 'ben', 'chloe'],
    scores: {
      performance: { django: [3, 4, 2], node: [5, 4, 5] },
      learning: { django: [4, 5, 4], node: [3, 2, 3] },
    },
  });
  // Computed in a hook, not while the tests are collected: a failure here fails the tests.
  let result: ConsensusResult;
  beforeEach(() => {
    result = computeConsensus(input);
  });

  it('[C1] computes the statistics of each cell', () => {
    const cell = cellOf(result, 'performance', 'django');
    expect(cell).toMatchObject({
      n: 3,
      mean: 3,
      median: 3,
      min: 2,
      max: 4,
      sd: 1,
      rwg: 0.5,
      agreement: 'weak',
    });
    expect(cell.scores).toEqual([
      { participantId: 'ana', value: 3 },
      { participantId: 'ben', value: 4 },
      { participantId: 'chloe', value: 2 },
    ]);
    expect(cellOf(result, 'performance', 'node').rwg).toBeCloseTo(5 / 6, 12);
    expect(result.cells.map((c) => `${c.criterionId}/${c.optionId}`)).toEqual([
      'performance/django',
      'performance/node',
      'learning/django',
      'learning/node',
    ]);
  });

  it('[C2][C3] weights the totals and finds the leader, margin and support', () => {
    expect(totalOf(result, 'django').total).toBeCloseTo(10 / 3, 12);
    expect(totalOf(result, 'node').total).toBeCloseTo(25 / 6, 12);
    expect(totalOf(result, 'node').coverage).toBe(1);
    expect(result.leaderId).toBe('node');
    expect(result.margin).toBeCloseTo(5 / 6, 12);
    expect(result.participants.map((p) => [p.participantId, p.preferredOptionId, p.completion])).toEqual([
      ['ana', 'node', 1],
      ['ben', 'django', 1],
      ['chloe', 'node', 1],
    ]);
    expect(result.participants[1]!.totals[0]!.total).toBeCloseTo(4.25, 12);
    expect(result.support).toBeCloseTo(2 / 3, 12);
  });

  it('[C5] lists the least agreed cells first, ties in board order', () => {
    // performance/django .5; the other three are all 5/6 with the same sd → board order.
    expect(result.discussFirst.map((d) => `${d.criterionId}/${d.optionId}`)).toEqual([
      'performance/django',
      'performance/node',
      'learning/django',
      'learning/node',
    ]);
  });

  it('[C4] reports for each weight the change that would flip the leader', () => {
    // Performance weight x, learning 1: Node − Django ∝ (14/3 − 3)x + (8/3 − 13/3) = (5/3)(x − 1),
    // so Django leads below x = 1: from 3 that is a change of −2 (just past the crossing).
    const [performance, learning] = result.sensitivity;
    expect(performance!.newLeaderId).toBe('django');
    expect(performance!.delta!).toBeLessThan(-2);
    expect(performance!.delta!).toBeGreaterThan(-2 - 1e-6);
    // Learning weight y, performance 3: Node − Django ∝ (14 + 8y/3) − (9 + 13y/3) = 5 − 5y/3,
    // zero at y = 3: from 1 that is a change of +2.
    expect(learning!.newLeaderId).toBe('django');
    expect(learning!.delta!).toBeGreaterThan(2);
    expect(learning!.delta!).toBeLessThan(2 + 1e-6);
    // Applying the change flips the leader; half of it does not.
    expect(computeConsensus(withWeight(input, 0, 3 + performance!.delta!)).leaderId).toBe('django');
    expect(computeConsensus(withWeight(input, 0, 3 + performance!.delta! / 2)).leaderId).toBe('node');
    expect(computeConsensus(withWeight(input, 1, 1 + learning!.delta!)).leaderId).toBe('django');
    expect(computeConsensus(withWeight(input, 1, 1 + learning!.delta! / 2)).leaderId).toBe('node');
  });
});

describe('missing scores are left out, never counted as zero', () => {
  // Equal weights. Nobody scored B on "docs".
  //          A       B
  //   perf   4, 4    5, 5
  //   docs   4, 4    —
  // B = 5 over the covered half of the weight (coverage .5), not (5 + 0)/2 = 2.5, so B leads A = 4.
  const input = board({
    weights: { perf: 1, docs: 1 },
    options: ['a', 'b'],
    participants: ['p1', 'p2'],
    scores: { perf: { a: [4, 4], b: [5, 5] }, docs: { a: [4, 4], b: [] } },
  });

  it('[C2] renormalises the weights over the scored cells', () => {
    const result = computeConsensus(input);
    expect(totalOf(result, 'b')).toEqual({ optionId: 'b', total: 5, coverage: 0.5 });
    expect(totalOf(result, 'a')).toEqual({ optionId: 'a', total: 4, coverage: 1 });
    expect(result.leaderId).toBe('b');
    expect(result.margin).toBe(1);
    expect(cellOf(result, 'docs', 'b')).toMatchObject({ n: 0, mean: null, sd: null, rwg: null });
    expect(result.participants[0]!.completion).toBe(0.75);
  });

  it('a cell with one missing ballot averages the ballots that exist', () => {
    const partial = {
      ...input,
      scores: input.scores.filter(
        (s) => !(s.participantId === 'p2' && s.optionId === 'a' && s.criterionId === 'perf'),
      ),
    };
    const cell = cellOf(computeConsensus(partial), 'perf', 'a');
    expect(cell).toMatchObject({ n: 1, mean: 4, sd: null, rwg: null, agreement: 'not-enough-scores' });
  });

  it('sensitivity follows the renormalised formula: B leads until its only scored criterion weighs 0', () => {
    // A: perf 3, docs 4 → 3.5.  B: perf 5 only → 5.  Perf weight x: A = (3x + 4)/(x + 1) < 5 for
    // every x > 0, but at x = 0 B has no weighted score left (total null) and A leads: delta −1.
    // Docs weight y: A = (3 + 4y)/(1 + y) < 4 < 5 for every y ≥ 0: nothing flips it.
    const result = computeConsensus(
      board({
        weights: { perf: 1, docs: 1 },
        options: ['a', 'b'],
        participants: ['p1'],
        scores: { perf: { a: [3], b: [5] }, docs: { a: [4], b: [null] } },
      }),
    );
    expect(result.leaderId).toBe('b');
    expect(result.sensitivity).toEqual([
      { criterionId: 'perf', delta: -1, newLeaderId: 'a' },
      { criterionId: 'docs', delta: null, newLeaderId: null },
    ]);
  });
});

describe('ties, zero weights and ignored input', () => {
  it('[C3] a tie at the top has no leader, margin or support', () => {
    // Equal weights: A = (4 + 2)/2 = 3, B = (2 + 4)/2 = 3.
    const result = computeConsensus(
      board({
        weights: { x: 1, y: 1 },
        options: ['a', 'b'],
        participants: ['p'],
        scores: { x: { a: [4], b: [2] }, y: { a: [2], b: [4] } },
      }),
    );
    expect(result).toMatchObject({ leaderId: null, margin: null, support: null });
    expect(result.participants[0]!.preferredOptionId).toBeNull();
    expect(result.sensitivity.every((s) => s.delta === null && s.newLeaderId === null)).toBe(true);
  });

  it('a tie hidden by rounding is still a tie', () => {
    // Weights .3 and .6: A = 3; B = (.3·5 + .6·2)/.9 = 2.7/.9 = 3, computed as 3.0000000000000004.
    const result = computeConsensus(
      board({
        weights: { x: 0.3, y: 0.6 },
        options: ['a', 'b'],
        participants: ['p'],
        scores: { x: { a: [3], b: [5] }, y: { a: [3], b: [2] } },
      }),
    );
    expect(result.leaderId).toBeNull();
  });

  it('all weights 0 means all criteria weigh the same', () => {
    // A = (5 + 1)/2 = 3, B = (2 + 2)/2 = 2.
    const result = computeConsensus(
      board({
        weights: { x: 0, y: 0 },
        options: ['a', 'b'],
        participants: ['p'],
        scores: { x: { a: [5], b: [2] }, y: { a: [1], b: [2] } },
      }),
    );
    expect(result.totals).toEqual([
      { optionId: 'a', total: 3, coverage: 1 },
      { optionId: 'b', total: 2, coverage: 1 },
    ]);
    // Any positive weight on y makes y the only criterion that counts: B (2) beats A (1).
    const [x, y] = result.sensitivity;
    expect(x).toEqual({ criterionId: 'x', delta: null, newLeaderId: null });
    expect(y!.newLeaderId).toBe('b');
    expect(y!.delta!).toBeGreaterThan(0);
    expect(y!.delta!).toBeLessThan(1e-9);
  });

  it('an option scored only on a zero-weight criterion has no total until that weight rises', () => {
    const result = computeConsensus(
      board({
        weights: { x: 1, y: 0 },
        options: ['a', 'b'],
        participants: ['p'],
        scores: { x: { a: [3], b: [null] }, y: { a: [null], b: [5] } },
      }),
    );
    expect(totalOf(result, 'b')).toEqual({ optionId: 'b', total: null, coverage: 0 });
    expect(result).toMatchObject({ leaderId: 'a', margin: null, support: 1 });
    const y = result.sensitivity[1]!;
    expect(y.newLeaderId).toBe('b');
    expect(y.delta!).toBeGreaterThan(0);
    expect(y.delta!).toBeLessThan(1e-9);
  });

  it('a single option leads without a margin and nothing can flip it', () => {
    const result = computeConsensus(
      board({ weights: { x: 1 }, options: ['a'], participants: ['p', 'q'], scores: { x: { a: [2, 3] } } }),
    );
    expect(result).toMatchObject({ leaderId: 'a', margin: null, support: 1 });
    expect(result.sensitivity).toEqual([{ criterionId: 'x', delta: null, newLeaderId: null }]);
  });

  it('an empty board has empty results', () => {
    const result = computeConsensus({
      scale: LIKERT,
      options: [],
      criteria: [],
      participants: [],
      scores: [],
    });
    expect(result).toEqual({
      cells: [],
      totals: [],
      leaderId: null,
      margin: null,
      participants: [],
      support: null,
      discussFirst: [],
      sensitivity: [],
    });
  });

  it('ignores scores for unknown criteria, options or participants and invalid values; the last duplicate wins', () => {
    const base = board({
      weights: { x: 1 },
      options: ['a'],
      participants: ['p', 'q'],
      scores: { x: { a: [] } },
    });
    const result = computeConsensus({
      ...base,
      scores: [
        { participantId: 'p', criterionId: 'x', optionId: 'a', value: 2 },
        { participantId: 'q', criterionId: 'x', optionId: 'a', value: 5, rationale: 'async I/O' },
        { participantId: 'p', criterionId: 'x', optionId: 'a', value: 4, rationale: 'changed my mind' },
        { participantId: 'p', criterionId: 'deleted', optionId: 'a', value: 1 },
        { participantId: 'p', criterionId: 'x', optionId: 'gone', value: 1 },
        { participantId: 'stranger', criterionId: 'x', optionId: 'a', value: 1 },
        { participantId: 'q', criterionId: 'x', optionId: 'a', value: 3.5 },
        { participantId: 'q', criterionId: 'x', optionId: 'a', value: 6 },
        { participantId: 'q', criterionId: 'x', optionId: 'a', value: 0 },
      ],
    });
    expect(result.cells).toHaveLength(1);
    expect(result.cells[0]!.scores).toEqual([
      { participantId: 'p', value: 4, rationale: 'changed my mind' },
      { participantId: 'q', value: 5, rationale: 'async I/O' },
    ]);
    expect(result.cells[0]!.mean).toBe(4.5);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const scaleArb = fc.constantFrom<Scale>({ min: 1, max: 5 }, { min: 0, max: 10 }, { min: 1, max: 7 });

/** Random boards: 1–4 criteria (weights in quarters, 0–10), 1–4 options, 1–5 people, gaps. */
const boardArb: fc.Arbitrary<ConsensusInput> = fc
  .record({
    scale: scaleArb,
    criteria: fc.integer({ min: 1, max: 4 }),
    options: fc.integer({ min: 1, max: 4 }),
    participants: fc.integer({ min: 1, max: 5 }),
  })
  .chain(({ scale, criteria, options, participants }) =>
    fc
      .record({
        weights: fc.array(
          fc.integer({ min: 0, max: 40 }).map((w) => w / 4),
          { minLength: criteria, maxLength: criteria },
        ),
        values: fc.array(fc.option(fc.integer({ min: scale.min, max: scale.max }), { freq: 5 }), {
          minLength: criteria * options * participants,
          maxLength: criteria * options * participants,
        }),
      })
      .map(({ weights, values }): ConsensusInput => {
        const scores: Score[] = [];
        values.forEach((value, i) => {
          if (value === null) return;
          const pi = i % participants;
          const oi = Math.floor(i / participants) % options;
          const ci = Math.floor(i / (participants * options));
          scores.push({ participantId: `p${pi}`, criterionId: `c${ci}`, optionId: `o${oi}`, value });
        });
        return {
          scale,
          criteria: weights.map((weight, ci) => ({ id: `c${ci}`, name: `criterion ${ci}`, weight })),
          options: Array.from({ length: options }, (_, oi) => ({ id: `o${oi}`, name: `option ${oi}` })),
          participants: Array.from({ length: participants }, (_, pi) => ({
            id: `p${pi}`,
            name: `person ${pi}`,
          })),
          scores,
        };
      }),
  );

const RUNS = { numRuns: 150 };
const close = (a: number | null, b: number | null, tolerance = 1e-9) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= tolerance;

describe('properties', () => {
  it('scaling every weight by a positive factor changes no result (deltas scale with it)', () => {
    fc.assert(
      fc.property(
        boardArb,
        fc.integer({ min: 1, max: 10_000 }).map((k) => k / 100),
        (input, factor) => {
          const a = computeConsensus(input);
          const b = computeConsensus({
            ...input,
            criteria: input.criteria.map((c) => ({ ...c, weight: c.weight * factor })),
          });
          expect(b.cells).toEqual(a.cells);
          expect(b.discussFirst).toEqual(a.discussFirst);
          expect(b.leaderId).toBe(a.leaderId);
          expect(b.support).toBe(a.support);
          expect(close(b.margin, a.margin)).toBe(true);
          a.totals.forEach((t, i) => {
            expect(close(b.totals[i]!.total, t.total)).toBe(true);
            expect(close(b.totals[i]!.coverage, t.coverage)).toBe(true);
          });
          a.participants.forEach((p, i) => {
            expect(b.participants[i]!.preferredOptionId).toBe(p.preferredOptionId);
            p.totals.forEach((t, j) => {
              expect(close(b.participants[i]!.totals[j]!.total, t.total)).toBe(true);
            });
          });
          const weightSum = input.criteria.reduce((acc, c) => acc + c.weight, 0) || 1;
          a.sensitivity.forEach((s, i) => {
            const scaled = b.sensitivity[i]!;
            expect(scaled.newLeaderId).toBe(s.newLeaderId);
            expect(
              close(scaled.delta, s.delta === null ? null : s.delta * factor, 1e-6 * weightSum * factor),
            ).toBe(true);
          });
        },
      ),
      RUNS,
    );
  });

  it('the order of participants and of scores changes nothing but the order of lists that follow it', () => {
    const byParticipant = <T extends { participantId: string }>(items: T[]) =>
      [...items].sort((x, y) => x.participantId.localeCompare(y.participantId));
    const normalized = (r: ConsensusResult) => ({
      ...r,
      cells: r.cells.map((c) => ({ ...c, scores: byParticipant(c.scores) })),
      participants: byParticipant(r.participants),
    });
    const arb = boardArb.chain((input) =>
      fc.record({
        input: fc.constant(input),
        participants: fc.shuffledSubarray(input.participants, {
          minLength: input.participants.length,
          maxLength: input.participants.length,
        }),
        scores: fc.shuffledSubarray(input.scores, {
          minLength: input.scores.length,
          maxLength: input.scores.length,
        }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ input, participants, scores }) => {
        const shuffled = computeConsensus({ ...input, participants, scores });
        expect(normalized(shuffled)).toEqual(normalized(computeConsensus(input)));
        expect(shuffled.participants.map((p) => p.participantId)).toEqual(participants.map((p) => p.id));
      }),
      RUNS,
    );
  });

  it('[C1] identical scores in a cell give r_wg 1', () => {
    fc.assert(
      fc.property(
        scaleArb.chain((scale) =>
          fc.record({
            scale: fc.constant(scale),
            value: fc.integer(scale),
            n: fc.integer({ min: 2, max: 12 }),
          }),
        ),
        ({ scale, value, n }) => {
          expect(rwg(Array(n).fill(value), scale)).toBe(1);
          const participants = Array.from({ length: n }, (_, i) => `p${i}`);
          const cell = computeConsensus(
            board({
              scale,
              weights: { c: 1 },
              options: ['o'],
              participants,
              scores: { c: { o: Array(n).fill(value) } },
            }),
          ).cells[0]!;
          expect(cell).toMatchObject({ rwg: 1, sd: 0, agreement: 'very-strong', mean: value, median: value });
        },
      ),
      RUNS,
    );
  });

  it('[C1] r_wg always lies within [0, 1], and is null exactly when there are fewer than two scores', () => {
    fc.assert(
      fc.property(
        scaleArb.chain((scale) =>
          fc.record({ scale: fc.constant(scale), values: fc.array(fc.integer(scale), { maxLength: 30 }) }),
        ),
        ({ scale, values }) => {
          const value = rwg(values, scale);
          if (values.length < 2) expect(value).toBeNull();
          else expect(value! >= 0 && value! <= 1).toBe(true);
        },
      ),
      RUNS,
    );
    fc.assert(
      fc.property(boardArb, (input) => {
        for (const cell of computeConsensus(input).cells) {
          if (cell.n < 2) expect(cell.rwg).toBeNull();
          else expect(cell.rwg! >= 0 && cell.rwg! <= 1).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('[C2] removing a score shrinks its cell and never acts like a zero', () => {
    const arb = boardArb
      .filter((input) => input.scores.length > 0)
      .chain((input) => fc.record({ input: fc.constant(input), drop: fc.nat(input.scores.length - 1) }));
    fc.assert(
      fc.property(arb, ({ input, drop }) => {
        const removed = input.scores[drop]!;
        const scores = input.scores.filter((_, i) => i !== drop);
        const before = cellOf(computeConsensus(input), removed.criterionId, removed.optionId);
        const after = computeConsensus({ ...input, scores });
        const cell = cellOf(after, removed.criterionId, removed.optionId);
        const remaining = scores
          .filter((s) => s.criterionId === removed.criterionId && s.optionId === removed.optionId)
          .map((s) => s.value);
        expect(cell.n).toBe(before.n - 1);
        if (remaining.length === 0) {
          expect(cell.mean).toBeNull();
        } else {
          expect(cell.mean).toBeCloseTo(remaining.reduce((a, v) => a + v, 0) / remaining.length, 12);
          expect(cell.mean! >= Math.min(...remaining) && cell.mean! <= Math.max(...remaining)).toBe(true);
        }
        // Each option's total is the weighted mean of its scored cells only, weights renormalised.
        const weights = input.criteria.map((c) => c.weight);
        const effective = weights.some((w) => w > 0) ? weights : weights.map(() => 1);
        for (const total of after.totals) {
          let sum = 0;
          let weight = 0;
          input.criteria.forEach((criterion, ci) => {
            const mean = cellOf(after, criterion.id, total.optionId).mean;
            if (mean === null || effective[ci] === 0) return;
            sum += effective[ci]! * mean;
            weight += effective[ci]!;
          });
          expect(close(total.total, weight === 0 ? null : sum / weight)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('totals, coverage, completion and support stay within their ranges', () => {
    fc.assert(
      fc.property(boardArb, (input) => {
        const { min, max } = input.scale;
        const result = computeConsensus(input);
        const inScale = (t: number | null) => t === null || (t >= min && t <= max);
        for (const t of result.totals) {
          expect(inScale(t.total)).toBe(true);
          expect(t.coverage >= 0 && t.coverage <= 1).toBe(true);
        }
        for (const p of result.participants) {
          expect(p.totals.every((t) => inScale(t.total))).toBe(true);
          expect(p.completion >= 0 && p.completion <= 1).toBe(true);
        }
        expect(result.support === null || (result.support >= 0 && result.support <= 1)).toBe(true);
        expect(result.margin === null || result.margin > 0).toBe(true);
        const order = result.discussFirst.map((d) => d.rwg);
        expect(order).toEqual([...order].sort((x, y) => x - y));
        expect(result.discussFirst).toHaveLength(result.cells.filter((c) => c.n >= 2).length);
      }),
      RUNS,
    );
  });

  it('[C4] applying a reported sensitivity delta changes the leader, and no smaller change does', () => {
    fc.assert(
      fc.property(boardArb, (input) => {
        const result = computeConsensus(input);
        const leader = result.leaderId;
        result.sensitivity.forEach((s, ci) => {
          const weight = input.criteria[ci]!.weight;
          const leaderAt = (w: number) => computeConsensus(withWeight(input, ci, w)).leaderId;
          const anotherLeads = (w: number) => {
            const id = leaderAt(w);
            return id !== null && id !== leader;
          };
          if (s.delta === null) {
            expect(s.newLeaderId).toBeNull();
            if (leader === null) return;
            for (const w of [0, weight / 2, weight * 2, weight + 1, weight + 10, weight * 100 + 100]) {
              expect(anotherLeads(w)).toBe(false);
            }
            return;
          }
          expect(leader).not.toBeNull();
          expect(weight + s.delta).toBeGreaterThanOrEqual(0);
          expect(s.newLeaderId).not.toBe(leader);
          expect(leaderAt(weight + s.delta)).toBe(s.newLeaderId);
          // A weight of 0 that any increase flips has no smallest change: delta is a tiny step.
          if (weight === 0 && anotherLeads(s.delta / 1024)) {
            expect(s.delta).toBeLessThan(1e-6);
            return;
          }
          // Half of it (or any smaller change, either way) leaves the leader or at worst a tie.
          for (const f of [0.5, 0.1, 0.9, 0.99, -0.5, -0.99]) {
            const w = weight + s.delta * f;
            if (w >= 0) expect(anotherLeads(w)).toBe(false);
          }
        });
      }),
      RUNS,
    );
  });
});

describe('edges found by mutation testing', () => {
  it('[C1] the variance of non-integer scores is the same number whatever their order, and the input is left as it was', () => {
    const values = [0.1, 0.2, 0.3, 0.7, 2.5];
    const expected = sampleVariance(values);
    for (const order of [[...values].reverse(), [0.3, 0.1, 2.5, 0.7, 0.2], [2.5, 0.2, 0.7, 0.1, 0.3]]) {
      const copy = [...order];
      expect(sampleVariance(order)).toBe(expected);
      expect(order).toEqual(copy);
    }
  });

  it('[C1] a mix of integer and fractional values far from zero keeps its variance precise', () => {
    // Σx² ≈ 3·10¹²: the one-pass integer formula would lose the 0.01 to rounding.
    expect(sampleVariance([1_000_000, 1_000_000.1, 1_000_000.2])).toBeCloseTo(0.01, 6);
  });

  it('[C1] a scale without room for disagreement (one point, or reversed) gives r_wg 0 for differing scores', () => {
    expect(rwg([1, 2], { min: 3, max: 3 })).toBe(0);
    expect(rwg([1, 2], { min: 2, max: 1 })).toBe(0);
  });

  it('[C3] two options tied for first are a tie, wherever a lower option stands in the order', () => {
    for (const options of [
      ['a', 'b', 'c'],
      ['a', 'c', 'b'],
      ['c', 'a', 'b'],
    ]) {
      const result = computeConsensus(
        board({
          weights: { x: 1 },
          options,
          participants: ['p'],
          scores: { x: { a: [4], b: [4], c: [1] } },
        }),
      );
      expect(result.leaderId).toBeNull();
      expect(result.margin).toBeNull();
    }
  });

  it('[C4] a leader change inside a narrow band of weights is found, not only at the ends', () => {
    // A is scored on y (weight 10) and x; B on z (weight 0.1) and x. As x's weight w varies,
    // A − B changes sign where w² − 29.5w + 1 = 0: B leads only for w in (0.034, 29.47),
    // A leads at w = 0, at the current 100 and beyond.
    const input = board({
      scale: { min: 0, max: 10 },
      weights: { x: 100, y: 10, z: 0.1 },
      options: ['a', 'b'],
      participants: ['p'],
      scores: { x: { a: [10], b: [9] }, y: { a: [6], b: [null] }, z: { a: [null], b: [5] } },
    });
    const result = computeConsensus(input);
    expect(result.leaderId).toBe('a');
    const x = result.sensitivity.find((s) => s.criterionId === 'x')!;
    expect(x.newLeaderId).toBe('b');
    const root = (29.5 + Math.sqrt(29.5 ** 2 - 4)) / 2;
    expect(x.delta).toBeCloseTo(root - 100, 3);

    // Inside the band (w = 5, B leads) the nearer way out is down, to the lower root, not to 0.
    const inside = computeConsensus(withWeight(input, 0, 5));
    expect(inside.leaderId).toBe('b');
    const lower = (29.5 - Math.sqrt(29.5 ** 2 - 4)) / 2;
    const y = inside.sensitivity.find((s) => s.criterionId === 'x')!;
    expect(y.newLeaderId).toBe('a');
    expect(y.delta).toBeCloseTo(lower - 5, 3);
    // At w = 20 the upper root is nearer: the way out is up.
    const z = computeConsensus(withWeight(input, 0, 20)).sensitivity.find((s) => s.criterionId === 'x')!;
    expect(z.newLeaderId).toBe('a');
    expect(z.delta).toBeCloseTo(root - 20, 3);
  });

  it('[C4] against an option not scored on the criterion, the change is exactly where the totals meet', () => {
    // A has only y (3): its total stays 3. B has z (2, weight 10) and x (5): (20 + 5w)/(10 + w),
    // which is 3 at w = 5. At w = 10 B leads; below 5, A does. In either order of the options.
    for (const options of [
      ['a', 'b'],
      ['b', 'a'],
    ]) {
      const input = board({
        weights: { x: 10, y: 1, z: 10 },
        options,
        participants: ['p'],
        scores: { x: { a: [null], b: [5] }, y: { a: [3], b: [null] }, z: { a: [null], b: [2] } },
      });
      const result = computeConsensus(input);
      expect(result.leaderId).toBe('b');
      const x = result.sensitivity.find((s) => s.criterionId === 'x')!;
      expect(x.newLeaderId).toBe('a');
      expect(x.delta).toBeCloseTo(-5, 6);
    }
  });

  it('[C4] against an option scored only on the criterion itself, the change is exactly where the totals meet', () => {
    // A has only x (3): for any weight above 0 its total is 3. B has x (2) and y (4, weight 10):
    // (40 + 2w)/(10 + w), which is 3 at w = 10. At w = 5 B leads; above 10, A does.
    for (const options of [
      ['a', 'b'],
      ['b', 'a'],
    ]) {
      const input = board({
        weights: { x: 5, y: 10 },
        options,
        participants: ['p'],
        scores: { x: { a: [3], b: [2] }, y: { a: [null], b: [4] } },
      });
      const result = computeConsensus(input);
      expect(result.leaderId).toBe('b');
      const x = result.sensitivity.find((s) => s.criterionId === 'x')!;
      expect(x.newLeaderId).toBe('a');
      expect(x.delta).toBeCloseTo(5, 6);
    }
  });

  it('[C2] duplicate ids count once; an empty cell has no min or max; a board without criteria is 0% complete', () => {
    const input = board({
      weights: { x: 1 },
      options: ['a', 'b'],
      participants: ['p'],
      scores: { x: { a: [3] } },
    });
    const result = computeConsensus({
      ...input,
      options: [...input.options, { id: 'a', name: 'again' }],
      criteria: [...input.criteria, { id: 'x', name: 'again', weight: 5 }],
      participants: [...input.participants, { id: 'p', name: 'again' }],
    });
    expect(result.totals.map((t) => t.optionId)).toEqual(['a', 'b']);
    expect(result.cells).toHaveLength(2);
    expect(result.participants).toHaveLength(1);
    expect(cellOf(result, 'x', 'a').n).toBe(1);
    const empty = cellOf(result, 'x', 'b');
    expect(empty.min).toBeNull();
    expect(empty.max).toBeNull();
    const none = computeConsensus({ ...input, criteria: [], scores: [] });
    expect(none.participants[0]!.completion).toBe(0);
  });
});
