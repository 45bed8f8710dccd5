import { describe, expect, it } from 'vitest';
import { type CellRef, cellKey, nextUnscored } from '@/components/access/scoring-progress';

const cells: CellRef[] = ['perf', 'cost'].flatMap((criterionId) =>
  ['django', 'node'].map((optionId) => ({ criterionId, optionId })),
);
const scored = (...keys: string[]) => new Set(keys);

describe('next unscored cell', () => {
  it.each([
    ['nothing scored, from nowhere: the first cell', scored(), null, 'perf:django'],
    ['from a cell: the next one after it', scored(), cells[0], 'perf:node'],
    ['skips scored cells', scored('perf:node', 'cost:django'), cells[0], 'cost:node'],
    [
      'wraps around to an earlier skipped cell',
      scored('perf:node', 'cost:django', 'cost:node'),
      cells[3],
      'perf:django',
    ],
    [
      'from the only unscored cell: itself, after a full turn',
      scored('perf:node', 'cost:django', 'cost:node'),
      cells[0],
      'perf:django',
    ],
    ['all scored: none', scored('perf:django', 'perf:node', 'cost:django', 'cost:node'), cells[1], null],
  ] as const)('[A3] %s', (_what, done, from, expected) => {
    const next = nextUnscored(cells, done, from ?? null);
    expect(next ? cellKey(next) : null).toBe(expected);
  });

  it('[A3] a board without cells has nothing to score', () => {
    expect(nextUnscored([], scored(), null)).toBeNull();
  });
});
