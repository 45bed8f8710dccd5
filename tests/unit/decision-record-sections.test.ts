import { describe, expect, it } from 'vitest';
import { EMPTY_DECISION } from '@/lib/board-schema';
import type { BoardSnapshot, CriterionSnapshot } from '@/lib/board-types';
import { computeConsensus } from '@/lib/consensus';
import type { Score } from '@/lib/consensus-types';
import { type DecisionRecordInput, renderDecisionRecord } from '@/lib/decision-record';

/**
 * The record's "Pros and Cons of the Options" section, word for word, on a small board built for
 * its edges (found by mutation testing: the golden record reaches only the common cases). Each
 * expected text was read by hand against the scores.
 */

const criterion = (id: string, name: string, extra: Partial<CriterionSnapshot> = {}): CriterionSnapshot => ({
  id,
  name,
  description: '',
  weight: 1,
  evidence: [],
  contested: null,
  ...extra,
});

function input(
  scores: Score[],
  extraOptions: { id: string; name: string; description: string }[] = [],
): DecisionRecordInput {
  const board: BoardSnapshot = {
    title: 'Edges',
    question: '',
    context: '',
    createdAt: '',
    status: 'open',
    options: [
      { id: 'a', name: 'Alpha', description: 'First line\n\nSecond paragraph' },
      { id: 'b', name: '', description: '' },
      ...extraOptions,
    ],
    criteria: [
      criterion('c1', 'Speed', {
        evidence: [
          {
            id: 'e1',
            optionId: 'a',
            text: 'Alpha is quick',
            origin: { type: 'participant', authorName: 'Ann' },
          },
          { id: 'e2', optionId: 'b', text: '', origin: { type: 'participant', authorName: 'Ann' } },
          {
            id: 'e3',
            optionId: null,
            text: 'Both are fine',
            origin: { type: 'participant', authorName: 'Bo' },
          },
        ],
      }),
      criterion('c2', 'Cost'),
      criterion('c3', 'Fit'),
    ],
    sources: [],
    notes: '',
    decision: { ...EMPTY_DECISION },
  };
  const participants = [
    { id: 'p1', name: 'Ann' },
    { id: 'p2', name: 'Bo' },
  ];
  const scale = { min: 0, max: 3 };
  const consensus = computeConsensus({
    scale,
    options: board.options.map((o) => ({ id: o.id, name: o.name })),
    criteria: board.criteria.map((c) => ({ id: c.id, name: c.name, weight: c.weight })),
    participants,
    scores,
  });
  return {
    board,
    participants,
    rounds: [{ number: 1, mode: 'blind', revealedAt: null, consensus }],
    anonymous: false,
    boardUrl: null,
    date: '2026-11-30',
    finalized: false,
    scale,
  };
}

const s = (
  participantId: string,
  criterionId: string,
  optionId: string,
  value: number,
  rationale?: string,
): Score => ({
  participantId,
  criterionId,
  optionId,
  value,
  ...(rationale === undefined ? {} : { rationale }),
});

const prosAndCons = (markdown: string) =>
  markdown.slice(
    markdown.indexOf('## Pros and Cons of the Options'),
    markdown.indexOf('## More Information'),
  );

describe('decision record: pros and cons, word for word [M1]', () => {
  it('sorts Good, Neutral, Bad at the thirds of the scale exactly, with one or more scores, rationales, the unscored and the evidence', () => {
    const markdown = renderDecisionRecord(
      input([
        // On 0–3 the upper third starts at 2 and the lower ends at 1, both included.
        s('p1', 'c1', 'a', 1, 'slowish'),
        s('p2', 'c1', 'a', 1),
        s('p1', 'c2', 'a', 2, 'cheap'),
        s('p1', 'c1', 'b', 1),
        s('p2', 'c1', 'b', 2, 'ok'),
        s('p1', 'c3', 'b', 3),
        s('p2', 'c3', 'b', 3),
      ]),
    );
    expect(prosAndCons(markdown)).toBe(
      [
        '## Pros and Cons of the Options',
        '### Alpha',
        'First line\n\nSecond paragraph',
        '* Good, because it rates 2.00 of 3 on Cost (1 score; not enough scores for agreement) — Ann gave 2: "cheap"\n' +
          '* Bad, because it rates 1.00 of 3 on Speed (median of 2 scores from 1 to 1; very strong agreement, 1.00) — Ann gave 1: "slowish"',
        'Not scored in round 1 on: Fit.',
        'Evidence:',
        '* Speed: Alpha is quick (added by Ann)',
        '### Option 2',
        '* Good, because it rates 3.00 of 3 on Fit (median of 2 scores from 3 to 3; very strong agreement, 1.00)\n' +
          '* Neutral, because it rates 1.50 of 3 on Speed (median of 2 scores from 1 to 2; moderate agreement, 0.60) — Bo gave 2: "ok"',
        'Not scored in round 1 on: Cost.',
        '',
      ].join('\n\n'),
    );
  });

  it('names every criterion an option was not scored on in a round, with nothing else before it', () => {
    const markdown = renderDecisionRecord(input([s('p1', 'c1', 'a', 3)]));
    expect(prosAndCons(markdown)).toContain(
      '### Option 2\n\nNot scored in round 1 on: Speed, Cost, Fit.\n\n',
    );
  });

  it('says an option is not scored yet without rounds, and that no options were defined on a board without any', () => {
    const none = input([]);
    none.rounds = [];
    expect(prosAndCons(renderDecisionRecord(none))).toContain(
      '### Alpha\n\nFirst line\n\nSecond paragraph\n\nNot scored yet.\n\nEvidence:',
    );
    none.board.options = [];
    expect(prosAndCons(renderDecisionRecord(none))).toBe(
      '## Pros and Cons of the Options\n\nNo options were defined.\n\n',
    );
  });
});

describe('decision record: the sections before pros and cons, on the small board [M1][M3]', () => {
  const between = (markdown: string, from: string, to: string) =>
    markdown.slice(markdown.indexOf(from), markdown.indexOf(to));

  it('trims the date, leaves an infinite weight out, and names a leader with no other option scored without a margin or a draft', () => {
    const only = input([s('p1', 'c1', 'a', 3), s('p2', 'c1', 'a', 2)]);
    only.date = ' 2026-11-30 ';
    only.board.criteria[2]!.weight = Number.POSITIVE_INFINITY;
    only.board.decision.consequencesBad = '12) twelve\nfast - and cheap';
    const markdown = renderDecisionRecord(only);
    expect(markdown).toMatch(/^date: 2026-11-30$/m);
    expect(between(markdown, '## Decision Drivers', '## Considered Options')).toBe(
      '## Decision Drivers\n\n* Speed — weight 1 (50%)\n* Cost — weight 1 (50%)\n* Fit — weight — (0%)\n\n',
    );
    expect(between(markdown, '## Decision Outcome', '## Pros and Cons')).toBe(
      '## Decision Outcome\n\n' +
        'Leading option: "Alpha" (not yet chosen): it leads the weighted consensus matrix with 2.50 of 3. The facilitator has not finalized the decision.\n\n' +
        'In round 1, "Alpha" scored 2.50 of 3; 2 of 2 participants preferred it; mean agreement 0.60.\n\n' +
        '### Consequences\n\n* Bad, because twelve\n* Bad, because fast - and cheap\n\n' +
        '### Confirmation\n\nNo confirmation was recorded.\n\n',
    );
  });

  it('gives a clear lead its margin without calling it too close', () => {
    const clear = input([
      s('p1', 'c1', 'a', 3),
      s('p2', 'c1', 'a', 3),
      s('p1', 'c1', 'b', 1),
      s('p2', 'c1', 'b', 1),
    ]);
    expect(renderDecisionRecord(clear)).toContain(
      '\n\nLeading option: "Alpha" (not yet chosen): it leads the weighted consensus matrix with 3.00 of 3, 2.00 ahead of the next option. The facilitator has not finalized the decision.\n\n',
    );
  });

  it('lists every other scored option in a standing, and leaves an unscored option out of a tie at 0', () => {
    const gamma = [{ id: 'g', name: 'Gamma', description: '' }];
    const three = input([s('p1', 'c1', 'a', 3), s('p1', 'c1', 'b', 2), s('p1', 'c1', 'g', 1)], gamma);
    expect(renderDecisionRecord(three)).toContain(
      '\n\nIn round 1, "Alpha" scored 3.00 of 3, against 2.00 for "Option 2", 1.00 for "Gamma"; 1 of 2 participants preferred it; mean agreement —.\n\n',
    );
    const zero = input([s('p1', 'c1', 'a', 0), s('p1', 'c1', 'b', 0)], gamma);
    expect(renderDecisionRecord(zero)).toContain(
      '\n\nNo option leads yet: "Alpha" and "Option 2" are tied at 0.00 of 3 in round 1.\n\n',
    );
  });

  it('says a chosen option was not scored, keeps "because" inside its reason, and says when no options were defined', () => {
    const only = input([s('p1', 'c1', 'a', 3), s('p2', 'c1', 'a', 2)]);
    only.finalized = true;
    only.board.decision.chosenOptionId = 'b';
    only.board.decision.reason = 'it is cheap because of the licence';
    expect(between(renderDecisionRecord(only), '## Decision Outcome', '### Consequences')).toBe(
      '## Decision Outcome\n\n' +
        'Chosen option: "Option 2", because it is cheap because of the licence.\n\n' +
        'Note: the weighted consensus matrix was led by "Alpha", not by the chosen option.\n\n' +
        '"Option 2" was not scored in round 1.\n\n',
    );
    only.board.options = [];
    expect(between(renderDecisionRecord(only), '## Considered Options', '## Decision Outcome')).toBe(
      '## Considered Options\n\nNo options were defined.\n\n',
    );
  });
});
