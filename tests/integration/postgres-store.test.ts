import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { PostgresStore } from '@/server/storage/postgres-store';
import { explainSkip, freshSchema, openTestStore } from '../helpers/postgres';

/**
 * What only a shared store must do: several processes (here, several PostgresStore
 * instances, each with its own connections) on one database at the same time. The port's
 * ordinary behaviour is the contract suite (storage-contract.test.ts).
 */
const skip = explainSkip('PostgresStore across processes', ['TEST_DATABASE_URL']);

const board = (id: string) => ({
  id,
  facilitatorKeyHash: `f-${id}`,
  viewerKeyHash: `vh-${id}`,
  viewerKey: `vk-${id}`,
  templateId: 'blank',
  createdAt: '2026-11-29T10:00:00.000Z',
});

describe.skipIf(skip)('PostgresStore: several processes on one database', () => {
  let schema: Awaited<ReturnType<typeof freshSchema>>;
  const open: PostgresStore[] = [];
  const store = async () => {
    const s = await openTestStore(schema.name);
    open.push(s);
    return s;
  };

  beforeEach(async () => {
    schema = await freshSchema();
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await schema.drop();
  });

  it('processes starting at the same moment apply each migration once and share one installation secret', async () => {
    const stores = await Promise.all([store(), store(), store()]);
    for (const s of stores) expect(await s.appliedMigrations()).toEqual([1, 2]);
    const secrets = await Promise.all(stores.map((s) => s.serverSecret()));
    expect(secrets[0]).toHaveLength(32);
    for (const s of secrets) expect(s).toEqual(secrets[0]);
  });

  it('[D17] appends from two processes at once get gapless, increasing sequence numbers, each update at its own', async () => {
    const [a, b] = [await store(), await store()];
    await a.createBoard(board('b1'), Uint8Array.of(0));
    const writes: Promise<number>[] = [];
    for (let i = 1; i <= 40; i++) {
      const by = i % 2 === 0 ? a : b;
      writes.push(
        i % 5 === 0
          ? by.appendUpdates('b1', [Uint8Array.of(i, 1), Uint8Array.of(i, 2)])
          : by.appendUpdate('b1', Uint8Array.of(i)),
      );
    }
    await Promise.all(writes);
    const stored = await b.loadUpdatesSince('b1', 0);
    const seqs = stored!.map((u) => u.seq);
    // 1 (the board's first update) + 40 calls, 8 of them with two updates.
    expect(seqs).toEqual(Array.from({ length: 49 }, (_, i) => i + 1));
    expect(await a.documentVersion('b1')).toBe(49);
    // A batch's updates are consecutive and in order.
    for (const [i, u] of stored!.entries()) {
      if (u.update.length === 2 && u.update[1] === 1)
        expect(stored![i + 1]!.update).toEqual(Uint8Array.of(u.update[0]!, 2));
    }
  });

  it('[D15] two processes compacting the same board at once lose nothing, while edits keep coming', async () => {
    const [a, b] = [await store(), await store()];
    // Every update inserts one word; the document must end with every word.
    const source = new Y.Doc();
    const updates: Uint8Array[] = [];
    source.on('update', (u: Uint8Array) => updates.push(u));
    const text = source.getText('t');
    const word = (i: number) => `w${i};`;
    text.insert(0, word(0));
    await a.createBoard(board('b1'), updates[0]!);
    let next = 1;
    const appendSome = async (s: PostgresStore, n: number) => {
      for (let k = 0; k < n; k++) {
        text.insert(text.length, word(next++));
        await s.appendUpdate('b1', updates.at(-1)!);
      }
    };
    await appendSome(a, 30);

    /** One process's compaction: its in-memory copy of everything stored up to now. */
    const compactFrom = async (s: PostgresStore) => {
      const stored = await s.loadDocument('b1');
      const doc = new Y.Doc();
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
      for (const u of stored.updates) Y.applyUpdate(doc, u);
      // Exactly what this copy holds: later appends are not folded.
      return { snapshot: Y.encodeStateAsUpdate(doc), upto: stored.lastSeq };
    };
    for (let round = 0; round < 5; round++) {
      const [fromA, fromB] = await Promise.all([
        compactFrom(a),
        (async () => {
          await appendSome(b, 3);
          return compactFrom(b);
        })(),
      ]);
      await Promise.all([
        fromA.upto > 0 ? a.compact('b1', fromA.snapshot, fromA.upto) : null,
        fromB.upto > 0 ? b.compact('b1', fromB.snapshot, fromB.upto) : null,
        appendSome(a, 4),
      ]);
    }

    const stored = await a.loadDocument('b1');
    const doc = new Y.Doc();
    if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
    for (const u of stored.updates) Y.applyUpdate(doc, u);
    const words = doc.getText('t').toString();
    expect(words).toBe(text.toString());
    expect(words.split(';').filter(Boolean)).toHaveLength(next);
  });

  it('[S6] the board lock lets one process at a time run a board’s command; other boards are not held up', async () => {
    const [a, b] = [await store(), await store()];
    await a.createBoard(board('b1'), Uint8Array.of(0));
    await a.createBoard(board('b2'), Uint8Array.of(0));
    const events: string[] = [];
    /** A read-check-write against the database, like a command, with awaits inside. */
    const critical = (s: PostgresStore, who: string) =>
      s.withBoardLock('b1', async () => {
        events.push(`enter ${who}`);
        const before = await s.sessionVersion('b1');
        await s.updateSettings('b1', { scaleMax: 5 });
        expect(await s.sessionVersion('b1')).toBe(before + 1);
        events.push(`exit ${who}`);
      });
    const runs: Promise<void>[] = [];
    for (let i = 0; i < 12; i++) runs.push(critical(i % 2 ? a : b, String(i)));
    // While b1 is busy, another board's lock is free.
    runs.push(b.withBoardLock('b2', async () => void events.push('b2')));
    await Promise.all(runs);
    const b1 = events.filter((e) => e !== 'b2');
    expect(b1).toHaveLength(24);
    for (let i = 0; i < b1.length; i += 2) {
      expect(b1[i]!.replace('enter', 'exit')).toBe(b1[i + 1]);
    }
  });

  it('[S5] a process behind reads only the scores set or deleted since its version, in one snapshot with the version, and the rest whole', async () => {
    const [a, b] = [await store(), await store()];
    await a.createBoard(board('b1'), Uint8Array.of(0));
    const participant = (id: string) => ({
      id,
      boardId: 'b1',
      name: id,
      tokenHash: `t-${id}`,
      createdAt: `2026-11-29T10:00:0${id.length}.000Z`,
      spectator: false,
      removed: false,
    });
    await a.addParticipant(participant('p1'));
    await a.addParticipant(participant('p22'));
    await a.createRound({
      id: 'r1',
      boardId: 'b1',
      number: 1,
      mode: 'blind',
      startedAt: '2026-11-29T10:01:00.000Z',
      revealedAt: null,
      anonymous: false,
    });
    const score = (participantId: string, criterionId: string, value: number | null) => ({
      boardId: 'b1',
      roundId: 'r1',
      participantId,
      criterionId,
      optionId: 'o1',
      value,
      rationale: '',
      updatedAt: '2026-11-29T10:02:00.000Z',
      carried: false,
    });
    const key = (participantId: string, criterionId: string) => ({
      boardId: 'b1',
      roundId: 'r1',
      participantId,
      criterionId,
      optionId: 'o1',
    });
    await a.upsertScores([score('p1', 'c1', 1), score('p1', 'c2', 2), score('p22', 'c1', 3)]);
    await a.upsertScore(score('p1', 'c3', 4));
    // Process b read the session here.
    const seen = await b.sessionVersion('b1');
    const nothing = await b.sessionChangesSince('b1', seen);
    expect(nothing).toMatchObject({ version: seen, upserted: [], deleted: [] });
    expect(nothing!.participants.map((p) => p.id)).toEqual(['p1', 'p22']);

    // Then process a: a changed score, a deleted one, one deleted and set again, a removal, a reveal.
    await a.upsertScore(score('p1', 'c1', 5));
    await a.deleteScore(key('p1', 'c2'));
    await a.deleteScore(key('p22', 'c1'));
    await a.upsertScore(score('p22', 'c1', 6));
    await a.removeParticipant('b1', 'p22');
    await a.revealRound('b1', 'r1', '2026-11-29T10:03:00.000Z');
    await a.updateSettings('b1', { scaleMax: 7 });

    const changes = await b.sessionChangesSince('b1', seen);
    expect(changes!.version).toBe(await b.sessionVersion('b1'));
    expect(changes!.version).toBe(seen + 7);
    const values = (rows: { participantId: string; criterionId: string; value: number | null }[]) =>
      rows.map((r) => `${r.participantId}/${r.criterionId}=${r.value}`).sort();
    // Only what changed: c3 (set before) is not read again; c1 of p22 is set, not deleted.
    expect(values(changes!.upserted)).toEqual(['p1/c1=5', 'p22/c1=6']);
    expect(changes!.deleted).toEqual([key('p1', 'c2')]);
    expect(changes!.participants.find((p) => p.id === 'p22')?.removed).toBe(true);
    expect(changes!.rounds[0]?.revealedAt).toBe('2026-11-29T10:03:00.000Z');
    expect(changes!.settings.scaleMax).toBe(7);

    // Applied to what b had read, it is exactly what a whole reload reads.
    const had = new Map<string, number | null>([
      ['p1/c1', 1],
      ['p1/c2', 2],
      ['p22/c1', 3],
      ['p1/c3', 4],
    ]);
    for (const d of changes!.deleted) had.delete(`${d.participantId}/${d.criterionId}`);
    for (const u of changes!.upserted) had.set(`${u.participantId}/${u.criterionId}`, u.value);
    const whole = await b.listScores('b1');
    expect([...had].map(([k, v]) => `${k}=${v}`).sort()).toEqual(values(whole));
    expect(await b.sessionChangesSince('nope', 0)).toBeNull();
  });
});
