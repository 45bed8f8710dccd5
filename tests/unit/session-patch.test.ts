import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionState } from '@/lib/protocol';
import {
  applySessionPatch,
  applyWirePatch,
  diffSessionState,
  packPatch,
  packValue,
  unpackValue,
} from '@/lib/session-patch';

/**
 * States of any shape: a few known fields and fields nobody has added yet, rounds that come,
 * go, change id or change some fields. The patch mechanism must not need to know them.
 */
const value = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom('a', 'b', ''),
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
  fc.record({ x: fc.integer({ min: 0, max: 2 }) }),
);
const fields = fc.dictionary(fc.constantFrom('status', 'mine', 'scores', 'progress', 'newRoundField'), value);
const round = fc
  .record({ id: fc.constantFrom('r1', 'r2', 'r3') })
  .chain((r) => fields.map((f) => ({ ...f, ...r })));
const state = fc
  .record({
    top: fc.dictionary(fc.constantFrom('role', 'roster', 'settings', 'you', 'abstain', 'newTopField'), value),
    rounds: fc.array(round, { maxLength: 4 }),
  })
  .map(({ top, rounds }) => ({ ...top, rounds }) as unknown as SessionState);

const plain = (s: SessionState) => JSON.parse(JSON.stringify(s));

describe('session patches', () => {
  it('[S1] applying the diff of two states to the first gives the second, whatever fields they have', () => {
    fc.assert(
      fc.property(state, state, (prev, next) => {
        const patch = diffSessionState(prev, next);
        const rebuilt = patch ? applySessionPatch(prev, patch) : prev;
        expect(plain(rebuilt)).toEqual(plain(next));
        // And the patch survives the wire (JSON) the same way.
        const wired = patch ? applySessionPatch(prev, JSON.parse(JSON.stringify(patch))) : prev;
        expect(plain(wired)).toEqual(plain(next));
      }),
      { numRuns: 500 },
    );
  });

  it('[S1] equal states need no patch, and unchanged parts are not sent', () => {
    fc.assert(
      fc.property(state, (s) => {
        expect(diffSessionState(s, plain(s))).toBeNull();
      }),
    );
    const big = { id: 'r1', scores: [1, 2, 3], status: 'open' };
    const prev = { role: 'viewer', rounds: [big] } as unknown as SessionState;
    const next = { role: 'viewer', rounds: [{ ...big, status: 'revealed' }] } as unknown as SessionState;
    expect(diffSessionState(prev, next)).toEqual({
      rounds: { length: 1, set: { 0: { status: 'revealed' } } },
    });
  });

  it('[S1] a patch leaves the state it was applied to as it was', () => {
    const prev = { role: 'viewer', rounds: [{ id: 'r1', status: 'open' }] } as unknown as SessionState;
    const before = plain(prev);
    applySessionPatch(prev, {
      set: { role: 'participant' },
      rounds: { length: 1, set: { 0: { status: 'revealed' } } },
    });
    expect(plain(prev)).toEqual(before);
  });
});

describe('packed arrays', () => {
  const row = fc.record({
    participantId: fc.constantFrom('p1', 'p2', 'anon-3'),
    criterionId: fc.constantFrom('cost', 'security'),
    value: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(null)),
    rationale: fc.string({ maxLength: 4 }),
    done: fc.boolean(),
  });
  const json = fc.letrec((tie) => ({
    any: fc.oneof(
      { maxDepth: 3 },
      fc.constantFrom(null, true, 0, 'x', ''),
      fc.array(row, { minLength: 0, maxLength: 80 }),
      fc.array(tie('any'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('a', 'scores', 'progress'), tie('any'), { maxKeys: 3 }),
    ),
  })).any;

  it('[S1] whatever is packed unpacks to the same value', () => {
    fc.assert(
      fc.property(json, (v) => {
        const wire = JSON.parse(JSON.stringify(packValue(v)));
        expect(unpackValue(wire)).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it('[S1] a revealed round of 100 people is sent several times smaller, and applies to the same state', () => {
    const scores = Array.from({ length: 2400 }, (_, i) => ({
      participantId: `participant-id-${String(i % 100).padStart(7, '0')}`,
      criterionId: `criterion-${i % 12}`,
      optionId: i % 2 ? 'django' : 'node',
      value: 1 + (i % 5),
      rationale: '',
    }));
    const before = {
      role: 'viewer',
      rounds: [{ id: 'r1', status: 'open', scores: null }],
    } as unknown as SessionState;
    const after = {
      ...before,
      rounds: [{ id: 'r1', status: 'revealed', scores }],
    } as unknown as SessionState;
    const patch = diffSessionState(before, after)!;
    const plainBytes = JSON.stringify(patch).length;
    const wire = JSON.stringify(packPatch(patch));
    expect(wire.length * 5).toBeLessThan(plainBytes);
    expect(plain(applyWirePatch(before, JSON.parse(wire)))).toEqual(plain(after));
  });
});
