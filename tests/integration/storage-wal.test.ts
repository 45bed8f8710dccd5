import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_AFTER_WRITES, SqliteStore } from '@/server/storage/sqlite-store';
import { waitFor } from '../helpers/server';

let dir: string;
let store: SqliteStore;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'decision-board-wal-'));
  store = new SqliteStore(path.join(dir, 'board.db'));
  await store.createBoard(
    {
      id: 'board-a',
      facilitatorKeyHash: 'f',
      viewerKeyHash: 'v',
      viewerKey: 'viewer-key-a',
      templateId: 'django-vs-node',
      createdAt: new Date(0).toISOString(),
    },
    Uint8Array.of(0, 1, 2),
  );
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const walBytes = () => fs.statSync(path.join(dir, 'board.db-wal')).size;
const update = (i: number) => Uint8Array.from({ length: 2000 }, (_, j) => (i + j) % 256);
/** Writes `n` updates, each its own commit, without giving the event loop a turn in between. */
async function writeMany(from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) await store.appendUpdates('board-a', [update(i)]);
}
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('SQLite WAL checkpoints', () => {
  it('[D14] a server that is never quiet still checkpoints: the WAL is reused, not grown, past the bound', async () => {
    await writeMany(0, CHECKPOINT_AFTER_WRITES + 10);
    await nextTurn();
    const afterOneBound = walBytes();
    // Three times as many writes again: without checkpoints the WAL would grow about fourfold.
    await writeMany(CHECKPOINT_AFTER_WRITES + 10, 3 * CHECKPOINT_AFTER_WRITES);
    await nextTurn();
    expect(walBytes()).toBeLessThan(afterOneBound * 1.5);
    // Nothing written was lost to the checkpoints.
    const doc = await store.loadDocument('board-a');
    expect(doc.updates.length + (doc.snapshot ? 1 : 0)).toBe(4 * CHECKPOINT_AFTER_WRITES + 10 + 1);
  }, 60_000);

  it('[D14] after a quiet moment the WAL has been copied into the database file', async () => {
    await writeMany(0, 50);
    const dbFile = path.join(dir, 'board.db');
    const before = fs.statSync(dbFile).size;
    // The quiet-moment checkpoint moves the 50 updates (100 KB) into the database file.
    await waitFor(() => fs.statSync(dbFile).size > before + 50 * 1500, 'checkpoint after a quiet moment');
  });
});
