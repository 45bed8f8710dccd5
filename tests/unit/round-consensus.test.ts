import { describe, expect, it } from 'vitest';
import type { ScoreView } from '@/lib/protocol';
import { abstentionsByCell, roundConsensus } from '@/lib/round-consensus';

const board = {
  criteria: [
    {
      id: 'cost',
      name: 'Cost',
      description: '',
      weight: 1,
      evidence: [],
      editorialChecks: [],
      contested: [],
    },
  ],
  options: [
    { id: 'a', name: 'A', description: '' },
    { id: 'b', name: 'B', description: '' },
  ],
} as unknown as Parameters<typeof roundConsensus>[0];
const roster = ['p1', 'p2', 'p3'].map((id) => ({
  id,
  name: id,
  role: 'participant' as const,
  online: true,
  spectator: false,
}));
const score = (participantId: string, optionId: string, value: number | null): ScoreView => ({
  participantId,
  criterionId: 'cost',
  optionId,
  value,
  rationale: '',
});

describe('abstentions in the consensus of a round', () => {
  it('[R11] an abstention is left out of count, mean, spread and agreement, and never counts as a score', () => {
    const scores = [score('p1', 'a', 5), score('p2', 'a', 5), score('p3', 'a', null), score('p1', 'b', 1)];
    const cons = roundConsensus(board, { scores }, roster, { min: 1, max: 5 })!;
    const cellA = cons.result.cells.find((c) => c.optionId === 'a')!;
    expect(cellA.n).toBe(2);
    expect(cellA.mean).toBe(5);
    expect(cellA.rwg).toBe(1);
    expect(cellA.scores.map((s) => s.participantId)).toEqual(['p1', 'p2']);
    expect([...abstentionsByCell(scores).entries()]).toEqual([['cost\u0000a', [scores[2]]]]);
  });
});
