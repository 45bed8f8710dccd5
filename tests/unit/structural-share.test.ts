import { describe, expect, it } from 'vitest';
import { share } from '@/lib/structural-share';

const board = () => ({
  question: 'Django or Node?',
  options: [
    { id: 'django', name: 'Django' },
    { id: 'node', name: 'Node.js' },
  ],
  criteria: [
    { id: 'perf', name: 'Performance', weight: 3, evidence: [{ id: 'e1', claims: ['fast'] }] },
    { id: 'sec', name: 'Security', weight: 2, evidence: [] },
    { id: 'cost', name: 'Cost', weight: 1, evidence: [] },
  ],
});

describe('structural sharing of board snapshots (what lets the page skip re-rendering)', () => {
  it('returns the previous snapshot itself when nothing changed', () => {
    const prev = board();
    expect(share(prev, board())).toBe(prev);
  });

  it('keeps every unchanged part and replaces only the changed path', () => {
    const prev = board();
    const next = board();
    next.criteria[1]!.weight = 5;
    const out = share(prev, next);
    expect(out).not.toBe(prev);
    expect(out).toEqual(next);
    expect(out.criteria).not.toBe(prev.criteria);
    expect(out.criteria[1]).not.toBe(prev.criteria[1]);
    expect(out.criteria[0]).toBe(prev.criteria[0]);
    expect(out.criteria[2]).toBe(prev.criteria[2]);
    expect(out.options).toBe(prev.options);
  });

  it('matches elements with an id by id, so a moved criterion keeps its object', () => {
    const prev = board();
    const next = board();
    next.criteria.reverse();
    const out = share(prev, next);
    expect(out.criteria.map((c) => c.id)).toEqual(['cost', 'sec', 'perf']);
    expect(out.criteria[0]).toBe(prev.criteria[2]);
    expect(out.criteria[2]).toBe(prev.criteria[0]);
    expect(out.criteria).not.toBe(prev.criteria);
  });

  it('sees added, removed and deeper changes', () => {
    const prev = board();
    const added = { ...board(), extra: 1 };
    expect(share(prev, added)).toEqual(added);
    expect(share(prev, added)).not.toBe(prev);

    const removed = board();
    removed.criteria.pop();
    expect(share(prev, removed).criteria).toHaveLength(2);

    const deep = board();
    deep.criteria[0]!.evidence[0]!.claims.push('faster');
    const out = share(prev, deep);
    expect(out.criteria[0]!.evidence[0]!.claims).toEqual(['fast', 'faster']);
    expect(out.criteria[1]).toBe(prev.criteria[1]);

    const keyRenamed = { ...board(), question: undefined, title: 'Django or Node?' };
    expect(share(prev, keyRenamed)).toEqual(keyRenamed);
  });

  it('starts from nothing', () => {
    const next = board();
    expect(share(null, next)).toBe(next);
  });
});
