import { describe, expect, it } from 'vitest';
import { CLOSE_CALL_POINTS, isCloseCall, sensitivityNearestFirst } from '@/lib/consensus';

describe('wording that does not overstate', () => {
  it('[C6] a lead under a quarter point is too close to call; a quarter point or more is a lead', () => {
    expect(CLOSE_CALL_POINTS).toBe(0.25);
    expect(isCloseCall(0.06)).toBe(true);
    expect(isCloseCall(0.2499)).toBe(true);
    expect(isCloseCall(0.25)).toBe(false);
    expect(isCloseCall(1)).toBe(false);
    expect(isCloseCall(null)).toBe(false);
  });

  it('[C7] sensitivity is nearest first, and criteria no weight change flips come last in board order', () => {
    const sorted = sensitivityNearestFirst([
      { criterionId: 'a', delta: null, newLeaderId: null },
      { criterionId: 'b', delta: 34, newLeaderId: 'x' },
      { criterionId: 'c', delta: -2, newLeaderId: 'x' },
      { criterionId: 'd', delta: null, newLeaderId: null },
      { criterionId: 'e', delta: 3, newLeaderId: 'x' },
    ]);
    expect(sorted.map((s) => s.criterionId)).toEqual(['c', 'e', 'b', 'a', 'd']);
  });
});
