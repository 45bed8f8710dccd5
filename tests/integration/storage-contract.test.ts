import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_SCHEMA_VERSION, SqliteStore } from '@/server/storage/sqlite-store';
import {
  type BoardRow,
  type BoardStore,
  DEFAULT_SETTINGS,
  type ParticipantRow,
  type RoundRow,
  type ScoreRow,
  type StoredDocument,
} from '@/server/storage/types';
import { explainSkip, freshSchema, openTestStore } from '../helpers/postgres';

/**
 * A store under test. `reopen` closes the current store and opens a new one on the same
 * data (file, database), which is how the suite proves that a write is durable, not only
 * cached; `cleanup` closes whatever store is open and deletes the data.
 */
interface StoreHarness {
  store: BoardStore;
  reopen(): Promise<BoardStore>;
  cleanup(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
/** An ISO timestamp `minutes` after a fixed start, so rows have a known creation order. */
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function boardRow(id: string, overrides: Partial<BoardRow> = {}): BoardRow {
  return {
    id,
    facilitatorKeyHash: `facilitator-hash-${id}`,
    viewerKeyHash: `viewer-hash-${id}`,
    viewerKey: `viewer-key-${id}`,
    templateId: 'django-vs-node',
    createdAt: at(0),
    ...overrides,
  };
}

/** Distinct binary payloads: NUL and 0xff bytes included, so nothing is stored as text. */
function bytes(seed: number, length = 8 + seed): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i === 0 ? 0 : i === 1 ? 0xff : (seed * 31 + i) % 256));
}

function participantRow(
  boardId: string,
  id: string,
  overrides: Partial<ParticipantRow> = {},
): ParticipantRow {
  return {
    id,
    boardId,
    name: `Name of ${id}`,
    tokenHash: `token-hash-${id}`,
    createdAt: at(1),
    spectator: false,
    removed: false,
    ...overrides,
  };
}

function roundRow(boardId: string, id: string, number: number, overrides: Partial<RoundRow> = {}): RoundRow {
  return {
    id,
    boardId,
    number,
    mode: 'blind',
    startedAt: at(number),
    revealedAt: null,
    anonymous: false,
    ...overrides,
  };
}

function scoreRow(boardId: string, overrides: Partial<ScoreRow> = {}): ScoreRow {
  return {
    boardId,
    roundId: 'round-1',
    participantId: 'p-1',
    criterionId: 'security',
    optionId: 'django',
    value: 4,
    rationale: 'Built-in CSRF protection',
    updatedAt: at(5),
    carried: false,
    ...overrides,
  };
}

const byteCount = (parts: Uint8Array[]) => parts.reduce((sum, p) => sum + p.byteLength, 0);

/** Orders scores by their key, since listScores promises no order. */
function sortScores(rows: ScoreRow[]): ScoreRow[] {
  const key = (s: ScoreRow) => [s.roundId, s.participantId, s.criterionId, s.optionId].join('\u0000');
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// The contract
// ---------------------------------------------------------------------------------------------

/**
 * The behaviour every `BoardStore` implementation must have. Each test gets a fresh, empty
 * store from `makeStore` and cleans it up afterwards. Only the port is used here, so a new
 * implementation (Postgres) runs this suite by calling it with its own factory, below the
 * SQLite call in this file (a test file must not export: importing it would run its suites
 * again), gated on its database being configured.
 */
function runStorageContract(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`BoardStore contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: BoardStore;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    /** Closes the store and opens it again on the same data. */
    async function reopen(): Promise<void> {
      store = await harness.reopen();
    }

    describe('boards', () => {
      it('a created board is found by its id and by its viewer key hash; unknown ones are null', async () => {
        const board = boardRow('board-a');
        await store.createBoard(board, bytes(1));

        expect(await store.getBoard('board-a')).toEqual(board);
        expect(await store.findBoardByViewerKeyHash(board.viewerKeyHash)).toEqual(board);
        expect(await store.getBoard('board-unknown')).toBeNull();
        expect(await store.findBoardByViewerKeyHash('viewer-hash-unknown')).toBeNull();
        // The facilitator key hash is not a viewer key hash.
        expect(await store.findBoardByViewerKeyHash(board.facilitatorKeyHash)).toBeNull();
      });

      it('a board is created together with its first update: the document holds it, with lastSeq > 0 and its byte count', async () => {
        const first = bytes(3, 100);
        await store.createBoard(boardRow('board-a'), first);

        const doc = await store.loadDocument('board-a');
        expect(doc.snapshot).toBeNull();
        expect(doc.updates).toEqual([first]);
        expect(doc.lastSeq).toBeGreaterThan(0);
        expect(doc.storedBytes).toBe(100);
      });

      it('a second board with an existing id is rejected and the first board and its document are unchanged', async () => {
        const first = boardRow('board-a');
        await store.createBoard(first, bytes(1));
        const before = await store.loadDocument('board-a');

        const duplicate = boardRow('board-a', {
          facilitatorKeyHash: 'another-facilitator-hash',
          viewerKeyHash: 'another-viewer-hash',
          viewerKey: 'another-viewer-key',
          templateId: 'blank',
        });
        await expect(store.createBoard(duplicate, bytes(2))).rejects.toThrow();

        expect(await store.getBoard('board-a')).toEqual(first);
        expect(await store.findBoardByViewerKeyHash('another-viewer-hash')).toBeNull();
        // The rejected board's first update must not have been appended to the existing board.
        expect(await store.loadDocument('board-a')).toEqual(before);
      });

      it('a board whose viewer key hash is already taken is rejected and leaves no board or document behind', async () => {
        const first = boardRow('board-a');
        await store.createBoard(first, bytes(1));

        const clash = boardRow('board-b', { viewerKeyHash: first.viewerKeyHash });
        await expect(store.createBoard(clash, bytes(2))).rejects.toThrow();

        expect(await store.getBoard('board-b')).toBeNull();
        expect(await store.findBoardByViewerKeyHash(first.viewerKeyHash)).toEqual(first);
        const orphan = await store.loadDocument('board-b');
        expect(orphan.snapshot).toBeNull();
        expect(orphan.updates).toEqual([]);
      });
    });

    describe('document updates and compaction', () => {
      it('appended updates get increasing sequence numbers and load back in order after a reopen', async () => {
        const initial = bytes(1);
        await store.createBoard(boardRow('board-a'), initial);
        const { lastSeq: initialSeq } = await store.loadDocument('board-a');

        // One large update too: a blob must come back whole, not truncated.
        const appended = [bytes(2), bytes(3, 64 * 1024), bytes(4), bytes(5, 1)];
        const seqs: number[] = [];
        for (const update of appended) seqs.push(await store.appendUpdate('board-a', update));

        expect(seqs[0]).toBeGreaterThan(initialSeq);
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);

        const expected: StoredDocument = {
          snapshot: null,
          updates: [initial, ...appended],
          lastSeq: seqs[seqs.length - 1]!,
          storedBytes: byteCount([initial, ...appended]),
        };
        expect(await store.loadDocument('board-a')).toEqual(expected);
        await reopen();
        expect(await store.loadDocument('board-a')).toEqual(expected);
      });

      it('compaction replaces the updates up to uptoSeq by the snapshot and keeps the later updates', async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        await store.appendUpdate('board-a', bytes(2));
        const seq3 = await store.appendUpdate('board-a', bytes(3));
        const seq4 = await store.appendUpdate('board-a', bytes(4));

        const snapshot = bytes(10, 50);
        await store.compact('board-a', snapshot, seq3);
        const compacted: StoredDocument = {
          snapshot,
          updates: [bytes(4)],
          lastSeq: seq4,
          storedBytes: 50 + bytes(4).byteLength,
        };
        expect(await store.loadDocument('board-a')).toEqual(compacted);
        await reopen();
        expect(await store.loadDocument('board-a')).toEqual(compacted);
      });

      it('updates appended after a compaction continue the sequence, and a second compaction replaces the first snapshot', async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        const seq2 = await store.appendUpdate('board-a', bytes(2));
        await store.compact('board-a', bytes(10, 30), seq2);

        const seq3 = await store.appendUpdate('board-a', bytes(3));
        expect(seq3).toBeGreaterThan(seq2);
        expect(await store.loadDocument('board-a')).toEqual({
          snapshot: bytes(10, 30),
          updates: [bytes(3)],
          lastSeq: seq3,
          storedBytes: 30 + bytes(3).byteLength,
        });

        // Compacting everything leaves only the new snapshot; lastSeq is 0 when no update is left.
        const secondSnapshot = bytes(11, 40);
        await store.compact('board-a', secondSnapshot, seq3);
        const fullyCompacted: StoredDocument = {
          snapshot: secondSnapshot,
          updates: [],
          lastSeq: 0,
          storedBytes: 40,
        };
        expect(await store.loadDocument('board-a')).toEqual(fullyCompacted);
        await reopen();
        expect(await store.loadDocument('board-a')).toEqual(fullyCompacted);

        // Sequence numbers are never reused, even when no update is left to continue from.
        const seq4 = await store.appendUpdate('board-a', bytes(4));
        expect(seq4).toBeGreaterThan(seq3);
        expect((await store.loadDocument('board-a')).updates).toEqual([bytes(4)]);
      });

      it('a load running alongside a compaction sees the document either before or after it, never half-compacted', async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        let seq = 0;
        for (let i = 2; i <= 6; i++) seq = await store.appendUpdate('board-a', bytes(i));
        const before = await store.loadDocument('board-a');
        const after: StoredDocument = { snapshot: bytes(20, 25), updates: [], lastSeq: 0, storedBytes: 25 };

        const [, ...seen] = await Promise.all([
          store.compact('board-a', bytes(20, 25), seq),
          store.loadDocument('board-a'),
          store.loadDocument('board-a'),
          store.loadDocument('board-a'),
        ]);
        for (const doc of seen) expect([before, after]).toContainEqual(doc);
        expect(await store.loadDocument('board-a')).toEqual(after);
      });

      it("the documents of two boards never mix, and compacting one keeps the other's updates", async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        await store.createBoard(boardRow('board-b'), bytes(11));
        // Interleaved, so a store numbering updates across boards has board-b updates below
        // board-a's last sequence number: compacting board-a must still leave them alone.
        const a2 = await store.appendUpdate('board-a', bytes(2));
        await store.appendUpdate('board-b', bytes(12));
        const a3 = await store.appendUpdate('board-a', bytes(3));
        const b3 = await store.appendUpdate('board-b', bytes(13));
        expect(a3).toBeGreaterThan(a2);

        await store.compact('board-a', bytes(30, 20), a3);

        expect(await store.loadDocument('board-a')).toEqual({
          snapshot: bytes(30, 20),
          updates: [],
          lastSeq: 0,
          storedBytes: 20,
        });
        const boardB: StoredDocument = {
          snapshot: null,
          updates: [bytes(11), bytes(12), bytes(13)],
          lastSeq: b3,
          storedBytes: byteCount([bytes(11), bytes(12), bytes(13)]),
        };
        expect(await store.loadDocument('board-b')).toEqual(boardB);
        await reopen();
        expect(await store.loadDocument('board-b')).toEqual(boardB);
      });
    });

    describe('catching up and compaction order', () => {
      it('updates since a sequence number come back in order with their numbers, and null once some were folded into the snapshot', async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        const { lastSeq: first } = await store.loadDocument('board-a');
        const s2 = await store.appendUpdate('board-a', bytes(2));
        const s3 = await store.appendUpdate('board-a', bytes(3));
        const s4 = await store.appendUpdate('board-a', bytes(4));

        expect(await store.loadUpdatesSince('board-a', first)).toEqual([
          { seq: s2, update: bytes(2) },
          { seq: s3, update: bytes(3) },
          { seq: s4, update: bytes(4) },
        ]);
        expect(await store.loadUpdatesSince('board-a', s3)).toEqual([{ seq: s4, update: bytes(4) }]);
        expect(await store.loadUpdatesSince('board-a', s4)).toEqual([]);

        await store.compact('board-a', bytes(9, 20), s3);
        // s2 and s3 are in the snapshot only: whoever lacks them must reload the document.
        expect(await store.loadUpdatesSince('board-a', first)).toBeNull();
        expect(await store.loadUpdatesSince('board-a', s2)).toBeNull();
        expect(await store.loadUpdatesSince('board-a', s3)).toEqual([{ seq: s4, update: bytes(4) }]);
        await reopen();
        expect(await store.loadUpdatesSince('board-a', s3)).toEqual([{ seq: s4, update: bytes(4) }]);
        expect(await store.loadUpdatesSince('board-unknown', 0)).toEqual([]);
      });

      it('[D15] a compaction older than the stored snapshot changes nothing: no update it did not fold is deleted', async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        const s2 = await store.appendUpdate('board-a', bytes(2));
        const s3 = await store.appendUpdate('board-a', bytes(3));
        const s4 = await store.appendUpdate('board-a', bytes(4));

        await store.compact('board-a', bytes(20, 30), s3);
        // A slower compactor that folded only up to s2 finishes second.
        await store.compact('board-a', bytes(21, 10), s2);
        const expected: StoredDocument = {
          snapshot: bytes(20, 30),
          updates: [bytes(4)],
          lastSeq: s4,
          storedBytes: 30 + bytes(4).byteLength,
        };
        expect(await store.loadDocument('board-a')).toEqual(expected);
        await reopen();
        expect(await store.loadDocument('board-a')).toEqual(expected);
      });
    });

    describe('session versions and the board lock', () => {
      beforeEach(async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        await store.createBoard(boardRow('board-b'), bytes(2));
      });

      it('[S5] every kind of session write changes the board session version, and only that board’s', async () => {
        const writes: [string, () => Promise<void>][] = [
          ['addParticipant', () => store.addParticipant(participantRow('board-a', 'p-1'))],
          ['renameParticipant', () => store.renameParticipant('board-a', 'p-1', 'Renamed')],
          ['setSpectator', () => store.setSpectator('board-a', 'p-1', true)],
          ['removeParticipant', () => store.removeParticipant('board-a', 'p-1')],
          ['updateSettings', () => store.updateSettings('board-a', { autoReveal: true })],
          ['createRound', () => store.createRound(roundRow('board-a', 'round-1', 1))],
          ['upsertScore', () => store.upsertScore(scoreRow('board-a'))],
          ['upsertScores', () => store.upsertScores([scoreRow('board-a', { optionId: 'node' })])],
          ['deleteScore', () => store.deleteScore(scoreRow('board-a'))],
          ['revealRound', () => store.revealRound('board-a', 'round-1', at(9))],
          [
            'putRecord',
            () => store.putRecord('board-a', { markdown: '# r', fileName: 'r.md', createdAt: at(9) }),
          ],
          ['putRecord(null)', () => store.putRecord('board-a', null)],
        ];
        const otherBefore = await store.sessionVersion('board-b');
        const seen = [await store.sessionVersion('board-a')];
        for (const [name, write] of writes) {
          await write();
          const v = await store.sessionVersion('board-a');
          expect(v, name).not.toBe(seen.at(-1));
          seen.push(v);
        }
        expect(new Set(seen).size).toBe(seen.length);
        expect(await store.sessionVersion('board-b')).toBe(otherBefore);
      });

      it('the board lock runs the function and passes on its result or its failure', async () => {
        expect(await store.withBoardLock('board-a', async () => 42)).toBe(42);
        await expect(
          store.withBoardLock('board-a', async () => {
            throw new Error('refused');
          }),
        ).rejects.toThrow('refused');
        // Released after a failure: the next holder gets it.
        expect(await store.withBoardLock('board-a', async () => 'again')).toBe('again');
      });
    });

    describe('group commit, versions and client id owners', () => {
      it('a batch of updates is appended in order in one call and resolves with the last sequence number', async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        const { lastSeq: first } = await store.loadDocument('board-a');
        const last = await store.appendUpdates('board-a', [bytes(2), bytes(3), bytes(4)]);
        const doc = await store.loadDocument('board-a');
        expect(doc.updates).toEqual([bytes(1), bytes(2), bytes(3), bytes(4)]);
        expect(doc.lastSeq).toBe(last);
        expect(last).toBeGreaterThan(first);
        await reopen();
        expect((await store.loadDocument('board-a')).updates).toHaveLength(4);
      });

      it('[D12] the first owner recorded for a client id is kept; later claims of the same id change nothing', async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        await store.createBoard(boardRow('board-b'), bytes(11));
        await store.appendUpdates(
          'board-a',
          [bytes(2)],
          [
            { clientId: 7, owner: 'p-1' },
            { clientId: 2 ** 31 + 5, owner: 'server' },
          ],
        );
        await store.appendUpdates('board-a', [bytes(3)], [{ clientId: 7, owner: 'p-2' }]);
        await store.appendUpdates('board-b', [bytes(12)], [{ clientId: 7, owner: 'p-9' }]);
        await store.appendUpdates('board-b', [bytes(13)]); // no owners: records none
        const owners = async (id: string) =>
          (await store.listDocClients(id)).sort((a, b) => a.clientId - b.clientId);
        expect(await owners('board-a')).toEqual([
          { clientId: 7, owner: 'p-1' },
          { clientId: 2 ** 31 + 5, owner: 'server' },
        ]);
        expect(await owners('board-b')).toEqual([{ clientId: 7, owner: 'p-9' }]);
        await reopen();
        expect(await owners('board-a')).toHaveLength(2);
        expect(await store.listDocClients('board-unknown')).toEqual([]);
      });

      it('the document version grows with every append and is kept by a compaction', async () => {
        expect(await store.documentVersion('board-a')).toBe(0);
        await store.createBoard(boardRow('board-a'), bytes(1));
        const v1 = await store.documentVersion('board-a');
        expect(v1).toBeGreaterThan(0);
        const seq = await store.appendUpdate('board-a', bytes(2));
        expect(await store.documentVersion('board-a')).toBe(seq);
        await store.compact('board-a', bytes(9, 20), seq);
        expect(await store.documentVersion('board-a')).toBe(seq);
        await reopen();
        expect(await store.documentVersion('board-a')).toBe(seq);
        const next = await store.appendUpdate('board-a', bytes(3));
        expect(await store.documentVersion('board-a')).toBe(next);
      });
    });

    describe('frozen records and the installation secret', () => {
      it('a record is stored, replaced and dropped per board', async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        await store.createBoard(boardRow('board-b'), bytes(2));
        expect(await store.getRecord('board-a')).toBeNull();
        const rec = { markdown: '# Decision\n\nwith `code` and ünïcödé', fileName: 'a.md', createdAt: at(3) };
        await store.putRecord('board-a', rec);
        expect(await store.getRecord('board-a')).toEqual(rec);
        expect(await store.getRecord('board-b')).toBeNull();
        await reopen();
        expect(await store.getRecord('board-a')).toEqual(rec);
        const second = { ...rec, markdown: '# Second', createdAt: at(4) };
        await store.putRecord('board-a', second);
        expect(await store.getRecord('board-a')).toEqual(second);
        await store.putRecord('board-a', null);
        expect(await store.getRecord('board-a')).toBeNull();
      });

      it('the installation secret is 32 random bytes, the same on every call and after a reopen', async () => {
        const secret = await store.serverSecret();
        expect(secret.byteLength).toBe(32);
        expect(new Set(secret).size).toBeGreaterThan(8);
        expect(await store.serverSecret()).toEqual(secret);
        await reopen();
        expect(await store.serverSecret()).toEqual(secret);
      });

      it('a healthy store passes its health check', async () => {
        await expect(store.checkHealth()).resolves.toBeUndefined();
      });
    });

    describe('participants', () => {
      beforeEach(async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        await store.createBoard(boardRow('board-b'), bytes(2));
      });

      it('participants are read back one by one and listed per board in order of creation', async () => {
        // Ids in reverse alphabetical order, so a list ordered by id instead of creation fails.
        const carol = participantRow('board-a', 'p-c', { name: 'Carol', createdAt: at(1) });
        const bob = participantRow('board-a', 'p-b', { name: 'Bob', createdAt: at(2), spectator: true });
        const alice = participantRow('board-a', 'p-a', { name: 'Alice', createdAt: at(3) });
        const elsewhere = participantRow('board-b', 'p-d', { name: 'Dan', createdAt: at(0) });
        for (const p of [carol, bob, alice, elsewhere]) await store.addParticipant(p);

        expect(await store.getParticipant('board-a', 'p-b')).toEqual(bob);
        expect(await store.getParticipant('board-a', 'p-unknown')).toBeNull();
        expect(await store.getParticipant('board-a', 'p-d')).toBeNull();
        expect(await store.listParticipants('board-a')).toEqual([carol, bob, alice]);
        expect(await store.listParticipants('board-b')).toEqual([elsewhere]);
        expect(await store.listParticipants('board-unknown')).toEqual([]);
      });

      it('the same participant id may exist on two boards without either seeing the other', async () => {
        await store.addParticipant(participantRow('board-a', 'p-1', { name: 'On A' }));
        await store.addParticipant(participantRow('board-b', 'p-1', { name: 'On B' }));
        await store.renameParticipant('board-a', 'p-1', 'Renamed on A');

        expect((await store.getParticipant('board-a', 'p-1'))?.name).toBe('Renamed on A');
        expect((await store.getParticipant('board-b', 'p-1'))?.name).toBe('On B');
      });

      it('a participant is renamed, made a spectator and back, and removal sets removed but keeps the row', async () => {
        const p = participantRow('board-a', 'p-1', { name: 'Alice' });
        await store.addParticipant(p);

        await store.renameParticipant('board-a', 'p-1', 'Alice Liddell');
        expect(await store.getParticipant('board-a', 'p-1')).toEqual({ ...p, name: 'Alice Liddell' });

        await store.setSpectator('board-a', 'p-1', true);
        expect((await store.getParticipant('board-a', 'p-1'))?.spectator).toBe(true);
        await store.setSpectator('board-a', 'p-1', false);
        expect((await store.getParticipant('board-a', 'p-1'))?.spectator).toBe(false);

        await store.removeParticipant('board-a', 'p-1');
        const removed = { ...p, name: 'Alice Liddell', removed: true };
        expect(await store.getParticipant('board-a', 'p-1')).toEqual(removed);
        expect(await store.listParticipants('board-a')).toEqual([removed]);

        await reopen();
        expect(await store.listParticipants('board-a')).toEqual([removed]);
      });
    });

    describe('settings', () => {
      beforeEach(async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        await store.createBoard(boardRow('board-b'), bytes(2));
      });

      it('a board whose settings were never written has the default settings', async () => {
        expect(await store.getSettings('board-a')).toEqual(DEFAULT_SETTINGS);
      });

      it('partial updates merge with the stored settings and the defaults, per board', async () => {
        const defaults = structuredClone(DEFAULT_SETTINGS);
        await store.updateSettings('board-a', { anonymous: true, scaleMax: 10 });
        await store.updateSettings('board-a', { status: 'finalized', finalizedAt: at(30) });
        await store.updateSettings('board-a', { scaleMax: 7 });

        const expected = {
          ...defaults,
          anonymous: true,
          scaleMax: 7,
          status: 'finalized' as const,
          finalizedAt: at(30),
        };
        expect(await store.getSettings('board-a')).toEqual(expected);
        expect(await store.getSettings('board-b')).toEqual(defaults);
        // Merging must not write through to the shared defaults object.
        expect(DEFAULT_SETTINGS).toEqual(defaults);

        await reopen();
        expect(await store.getSettings('board-a')).toEqual(expected);
      });
    });

    describe('rounds', () => {
      beforeEach(async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        await store.createBoard(boardRow('board-b'), bytes(2));
      });

      it('rounds are listed per board in order of their number, and revealing one sets only its revealedAt', async () => {
        const second = roundRow('board-a', 'round-x', 2, { mode: 'open' });
        const first = roundRow('board-a', 'round-y', 1);
        await store.createRound(second);
        await store.createRound(first);
        await store.createRound(roundRow('board-b', 'round-z', 1));

        expect(await store.listRounds('board-a')).toEqual([first, second]);

        await store.revealRound('board-a', 'round-y', at(20));
        const revealed = [{ ...first, revealedAt: at(20) }, second];
        expect(await store.listRounds('board-a')).toEqual(revealed);
        expect(await store.listRounds('board-b')).toEqual([roundRow('board-b', 'round-z', 1)]);
        expect(await store.listRounds('board-unknown')).toEqual([]);

        await reopen();
        expect(await store.listRounds('board-a')).toEqual(revealed);
      });

      it('a second round with the same number on a board is rejected and the first is kept', async () => {
        const first = roundRow('board-a', 'round-1', 1);
        await store.createRound(first);

        await expect(
          store.createRound(roundRow('board-a', 'round-other', 1, { mode: 'open' })),
        ).rejects.toThrow();

        expect(await store.listRounds('board-a')).toEqual([first]);
        // Round numbers are per board: another board may use the same number.
        await store.createRound(roundRow('board-b', 'round-other', 1));
        expect(await store.listRounds('board-b')).toHaveLength(1);
      });
    });

    describe('scores', () => {
      beforeEach(async () => {
        await store.createBoard(boardRow('board-a'), bytes(1));
        await store.createBoard(boardRow('board-b'), bytes(2));
      });

      it('upserting a score twice under the same key keeps one row with the new value and rationale', async () => {
        await store.upsertScore(scoreRow('board-a', { value: 2, rationale: 'First thought' }));
        const changed = scoreRow('board-a', { value: 5, rationale: 'Changed my mind', updatedAt: at(9) });
        await store.upsertScore(changed);

        expect(await store.listScores('board-a')).toEqual([changed]);
        await reopen();
        expect(await store.listScores('board-a')).toEqual([changed]);
      });

      it('an abstention and a carried-over score survive a reopen as they were written', async () => {
        const abstained = scoreRow('board-a', { value: null, rationale: 'cannot judge' });
        const carried = scoreRow('board-a', { optionId: 'node', value: 3, carried: true });
        await store.upsertScores([abstained, carried]);
        await reopen();
        expect(sortScores(await store.listScores('board-a'))).toEqual(sortScores([abstained, carried]));

        const kept = { ...carried, carried: false };
        await store.upsertScore(kept);
        expect(sortScores(await store.listScores('board-a'))).toEqual(sortScores([abstained, kept]));
      });

      it('upserting several scores at once writes all of them or none', async () => {
        const good = scoreRow('board-a');
        const bad = { ...scoreRow('board-a', { optionId: 'node' }), rationale: null as unknown as string };
        await expect(store.upsertScores([good, bad])).rejects.toThrow();
        expect(await store.listScores('board-a')).toEqual([]);
      });

      it('a score differing in any key field is a separate row', async () => {
        const base = scoreRow('board-a');
        const rows = [
          base,
          { ...base, roundId: 'round-2' },
          { ...base, participantId: 'p-2' },
          { ...base, criterionId: 'cost' },
          { ...base, optionId: 'node' },
        ];
        for (const row of rows) await store.upsertScore(row);

        expect(sortScores(await store.listScores('board-a'))).toEqual(sortScores(rows));
      });

      it('deleting a score removes only the score with that key', async () => {
        const kept = scoreRow('board-a', { optionId: 'node' });
        await store.upsertScore(scoreRow('board-a'));
        await store.upsertScore(kept);
        await store.upsertScore(scoreRow('board-b'));

        await store.deleteScore({
          boardId: 'board-a',
          roundId: 'round-1',
          participantId: 'p-1',
          criterionId: 'security',
          optionId: 'django',
        });

        expect(await store.listScores('board-a')).toEqual([kept]);
        expect(await store.listScores('board-b')).toEqual([scoreRow('board-b')]);
        await reopen();
        expect(await store.listScores('board-a')).toEqual([kept]);
      });

      it("listing a board's scores returns only that board's scores", async () => {
        const onA = scoreRow('board-a', { value: 1 });
        const onB = scoreRow('board-b', { value: 3 });
        await store.upsertScore(onA);
        await store.upsertScore(onB);

        expect(await store.listScores('board-a')).toEqual([onA]);
        expect(await store.listScores('board-b')).toEqual([onB]);
        expect(await store.listScores('board-unknown')).toEqual([]);
      });
    });

    describe('durability', () => {
      it('everything written is read back unchanged after closing and reopening the store', async () => {
        const board = boardRow('board-a');
        await store.createBoard(board, bytes(1));
        const seq = await store.appendUpdate('board-a', bytes(2));
        await store.compact('board-a', bytes(9, 12), seq);
        await store.appendUpdate('board-a', bytes(3));
        await store.addParticipant(participantRow('board-a', 'p-1', { createdAt: at(1) }));
        await store.addParticipant(participantRow('board-a', 'p-2', { createdAt: at(2), spectator: true }));
        await store.removeParticipant('board-a', 'p-2');
        await store.updateSettings('board-a', { autoReveal: true, status: 'locked' });
        await store.createRound(roundRow('board-a', 'round-1', 1));
        await store.revealRound('board-a', 'round-1', at(10));
        await store.createRound(roundRow('board-a', 'round-2', 2, { mode: 'open', anonymous: true }));
        await store.upsertScore(scoreRow('board-a'));
        await store.upsertScore(scoreRow('board-a', { roundId: 'round-2', rationale: '' }));

        const read = async () => ({
          board: await store.getBoard('board-a'),
          byViewer: await store.findBoardByViewerKeyHash(board.viewerKeyHash),
          document: await store.loadDocument('board-a'),
          participants: await store.listParticipants('board-a'),
          settings: await store.getSettings('board-a'),
          rounds: await store.listRounds('board-a'),
          scores: sortScores(await store.listScores('board-a')),
        });
        const before = await read();
        await reopen();
        expect(await read()).toEqual(before);
        // And the reopened store keeps accepting writes.
        expect(await store.appendUpdate('board-a', bytes(4))).toBeGreaterThan(before.document.lastSeq);
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// SQLite
// ---------------------------------------------------------------------------------------------

function tempSqliteFile(): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'decision-board-store-'));
  return { dir, file: path.join(dir, 'decision-board.sqlite') };
}

runStorageContract('SqliteStore', async () => {
  const { dir, file } = tempSqliteFile();
  let current = new SqliteStore(file);
  return {
    store: current,
    async reopen() {
      await current.close();
      current = new SqliteStore(file);
      return current;
    },
    async cleanup() {
      await current.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

// ---------------------------------------------------------------------------------------------
// Postgres (TEST_DATABASE_URL): each test in a freshly created schema, dropped afterwards
// ---------------------------------------------------------------------------------------------

const noPostgres = explainSkip('BoardStore contract: PostgresStore', ['TEST_DATABASE_URL']);
describe.skipIf(noPostgres)('PostgresStore (TEST_DATABASE_URL)', () => {
  runStorageContract('PostgresStore', async () => {
    const schema = await freshSchema();
    let current = await openTestStore(schema.name);
    return {
      store: current,
      async reopen() {
        await current.close();
        current = await openTestStore(schema.name);
        return current;
      },
      async cleanup() {
        await current.close();
        await schema.drop();
      },
    };
  });
});

describe('SqliteStore file', () => {
  let dir: string;
  let file: string;
  const open: { close(): unknown }[] = [];

  beforeEach(() => {
    ({ dir, file } = tempSqliteFile());
  });
  afterEach(async () => {
    for (const handle of open.splice(0).reverse()) await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Reads a pragma through a second, read-only connection: what is on disk, not in the store's session. */
  function pragmaOnDisk(name: string): unknown {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return db.pragma(name, { simple: true });
    } finally {
      db.close();
    }
  }

  it('a new file is in WAL mode with user_version equal to the number of migrations', async () => {
    const store = new SqliteStore(file);
    open.push(store);
    await store.createBoard(boardRow('board-a'), bytes(1));

    expect(pragmaOnDisk('journal_mode')).toBe('wal');
    expect(pragmaOnDisk('user_version')).toBe(SQLITE_SCHEMA_VERSION);
  });

  it('reopening a migrated file applies no migration again and keeps its data', async () => {
    const first = new SqliteStore(file);
    await first.createBoard(boardRow('board-a'), bytes(1));
    await first.close();

    const second = new SqliteStore(file);
    open.push(second);
    expect(pragmaOnDisk('user_version')).toBe(SQLITE_SCHEMA_VERSION);
    expect(pragmaOnDisk('journal_mode')).toBe('wal');
    expect(await second.getBoard('board-a')).toEqual(boardRow('board-a'));
  });

  it('[D11] with its file deleted under it, the store refuses every write and fails its health check', async () => {
    const store = new SqliteStore(file);
    open.push(store);
    await store.createBoard(boardRow('board-a'), bytes(1));
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    await expect(store.checkHealth()).rejects.toThrow(/missing/);
    await expect(store.appendUpdates('board-a', [bytes(2)])).rejects.toThrow(/missing/);
    await expect(store.upsertScore(scoreRow('board-a'))).rejects.toThrow(/missing/);
  });

  it('[D1] appends of several boards made in one turn are committed together: each answered once stored, numbered in order', async () => {
    const store = new SqliteStore(file);
    open.push(store);
    for (const id of ['board-a', 'board-b', 'board-c']) await store.createBoard(boardRow(id), bytes(1));
    // One turn: no await between the calls (rooms committing in the same event-loop turn).
    const calls = [
      store.appendUpdates('board-a', [bytes(2)], [{ clientId: 7, owner: 'p-1' }]),
      store.appendUpdates('board-b', [bytes(3), bytes(4)]),
      store.appendUpdates('board-a', [bytes(5)]),
      store.appendUpdates('board-c', [bytes(6)]),
    ];
    const seqs = await Promise.all(calls);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(4);
    await store.close();
    const reopened = new SqliteStore(file);
    open.push(reopened);
    expect((await reopened.loadDocument('board-a')).updates).toEqual([bytes(1), bytes(2), bytes(5)]);
    expect((await reopened.loadDocument('board-a')).lastSeq).toBe(seqs[2]);
    expect((await reopened.loadDocument('board-b')).updates).toEqual([bytes(1), bytes(3), bytes(4)]);
    expect((await reopened.loadDocument('board-b')).lastSeq).toBe(seqs[1]);
    expect((await reopened.loadDocument('board-c')).updates).toEqual([bytes(1), bytes(6)]);
    expect(await reopened.listDocClients('board-a')).toEqual([{ clientId: 7, owner: 'p-1' }]);
  });

  it('[D4] when one append of a turn fails, only that one fails: the others of the turn are stored', async () => {
    const store = new SqliteStore(file);
    open.push(store);
    await store.createBoard(boardRow('board-a'), bytes(1));
    await store.createBoard(boardRow('board-b'), bytes(1));
    const results = await Promise.allSettled([
      store.appendUpdates('board-a', [bytes(2)]),
      // No such board: the foreign key refuses it.
      store.appendUpdates('board-missing', [bytes(3)]),
      store.appendUpdates('board-b', [bytes(4)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.loadDocument('board-a')).updates).toEqual([bytes(1), bytes(2)]);
    expect((await store.loadDocument('board-b')).updates).toEqual([bytes(1), bytes(4)]);
    expect((await store.loadDocument('board-missing')).updates).toEqual([]);
    // Not broken storage: the health check still passes.
    await store.checkHealth();
  });

  it('[D11] with its file deleted under it, every append of the turn is refused', async () => {
    const store = new SqliteStore(file);
    open.push(store);
    await store.createBoard(boardRow('board-a'), bytes(1));
    await store.createBoard(boardRow('board-b'), bytes(1));
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    const results = await Promise.allSettled([
      store.appendUpdates('board-a', [bytes(2)]),
      store.appendUpdates('board-b', [bytes(3)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(store.checkHealth()).rejects.toThrow(/missing/);
  });

  it('[D11] with its file replaced under it, the store refuses every write and fails its health check', async () => {
    const store = new SqliteStore(file);
    open.push(store);
    await store.createBoard(boardRow('board-a'), bytes(1));
    const other = path.join(dir, 'other.sqlite');
    new Database(other).close();
    fs.renameSync(other, file);
    await expect(store.checkHealth()).rejects.toThrow(/replaced/);
    await expect(store.appendUpdates('board-a', [bytes(2)])).rejects.toThrow(/replaced/);
  });

  it('creates the directory of its file when it does not exist yet', async () => {
    const nested = path.join(dir, 'a', 'b', 'decision-board.sqlite');
    const store = new SqliteStore(nested);
    open.push(store);
    await store.createBoard(boardRow('board-a'), bytes(1));
    expect(fs.existsSync(nested)).toBe(true);
  });

  it('[D11] an ordinary refusal (a duplicate board) is not broken storage: the health check still passes', async () => {
    const store = new SqliteStore(file);
    open.push(store);
    await store.createBoard(boardRow('board-a'), bytes(1));
    await expect(store.createBoard(boardRow('board-a'), bytes(2))).rejects.toThrow();
    await expect(store.checkHealth()).resolves.toBeUndefined();
  });

  it('[D11] the health check leaves no transaction open: it can run again, and writes after it are durable', async () => {
    const store = new SqliteStore(file);
    open.push(store);
    await store.checkHealth();
    await store.checkHealth();
    await store.createBoard(boardRow('board-a'), bytes(1));
    await store.close();
    const again = new SqliteStore(file);
    open.push(again);
    expect(await again.getBoard('board-a')).not.toBeNull();
  });

  it('[D11] a failure that shows the storage broken (a corrupt page) makes the health check fail for a while', async () => {
    const first = new SqliteStore(file);
    for (let i = 0; i < 40; i++) await first.createBoard(boardRow(`board-${i}`), bytes(i, 4000));
    await first.close();
    const fd = fs.openSync(file, 'r+');
    const len = fs.fstatSync(fd).size;
    for (let off = 4096; off < len; off += 4096) fs.writeSync(fd, Buffer.alloc(2048, 0x5a), 0, 2048, off);
    fs.closeSync(fd);
    const store = new SqliteStore(file);
    open.push(store);
    await expect(store.loadDocument('board-20')).rejects.toThrow(/malformed/);
    await expect(store.checkHealth()).rejects.toThrow(/storage failed recently/);
  });

  it('a version 1 file is migrated: rounds of an anonymous board stay anonymous, others are not', async () => {
    const v1 = new Database(file);
    v1.exec(SQLITE_V1_FOR_TESTS);
    v1.pragma('user_version = 1');
    v1.prepare("INSERT INTO boards VALUES ('a', 'f', 'vh-a', 'vk-a', 't', 'now')").run();
    v1.prepare("INSERT INTO boards VALUES ('b', 'f', 'vh-b', 'vk-b', 't', 'now')").run();
    v1.prepare("INSERT INTO board_settings VALUES ('a', '{\"anonymous\":true}')").run();
    v1.prepare("INSERT INTO rounds VALUES ('r1', 'a', 1, 'blind', 'now', 'later')").run();
    v1.prepare("INSERT INTO rounds VALUES ('r2', 'b', 1, 'blind', 'now', 'later')").run();
    v1.close();
    const store = new SqliteStore(file);
    open.push(store);
    expect((await store.listRounds('a'))[0]?.anonymous).toBe(true);
    expect((await store.listRounds('b'))[0]?.anonymous).toBe(false);
    expect(pragmaOnDisk('user_version')).toBe(SQLITE_SCHEMA_VERSION);
  });
});

/** The version 1 schema, as released, to test the migration from it. */
const SQLITE_V1_FOR_TESTS = `
  CREATE TABLE boards (id TEXT PRIMARY KEY, facilitator_key_hash TEXT NOT NULL, viewer_key_hash TEXT NOT NULL UNIQUE,
    viewer_key TEXT NOT NULL, template_id TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE TABLE doc_snapshots (board_id TEXT PRIMARY KEY REFERENCES boards(id), data BLOB NOT NULL);
  CREATE TABLE doc_updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, board_id TEXT NOT NULL REFERENCES boards(id), data BLOB NOT NULL);
  CREATE TABLE participants (id TEXT NOT NULL, board_id TEXT NOT NULL REFERENCES boards(id), name TEXT NOT NULL,
    token_hash TEXT NOT NULL, created_at TEXT NOT NULL, spectator INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (board_id, id));
  CREATE TABLE board_settings (board_id TEXT PRIMARY KEY REFERENCES boards(id), data TEXT NOT NULL);
  CREATE TABLE rounds (id TEXT NOT NULL, board_id TEXT NOT NULL REFERENCES boards(id), number INTEGER NOT NULL,
    mode TEXT NOT NULL, started_at TEXT NOT NULL, revealed_at TEXT, PRIMARY KEY (board_id, id), UNIQUE (board_id, number));
  CREATE TABLE scores (board_id TEXT NOT NULL REFERENCES boards(id), round_id TEXT NOT NULL, participant_id TEXT NOT NULL,
    criterion_id TEXT NOT NULL, option_id TEXT NOT NULL, value INTEGER NOT NULL, rationale TEXT NOT NULL,
    updated_at TEXT NOT NULL, PRIMARY KEY (board_id, round_id, participant_id, criterion_id, option_id));
`;
