import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export const LOCK_FILE = 'decision-board.lock';

/** Another server process holds the data directory. */
export class DataDirLockedError extends Error {}

export interface DataDirLock {
  release(): void;
}

/**
 * Takes an exclusive lock on a data directory for the life of this process, so two servers
 * can never share one store (one's compaction would delete the other's acknowledged edits).
 *
 * The lock is SQLite's own file lock on a small lock database held in EXCLUSIVE locking
 * mode: the operating system releases it when the process ends in any way, `kill -9`
 * included, so there is no stale lock file to clean up. `npm run export` does not take
 * it: reading the store beside a running server stays possible.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
    // The first write in EXCLUSIVE mode takes the lock and keeps it until close.
    db.transaction(() => {
      db.exec('DELETE FROM holder');
      db.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
    })();
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new DataDirLockedError(
        `another Decision Board server is already using the data directory ${dataDir}; ` +
          'stop it, or give this one its own DATA_DIR',
      );
    }
    throw err;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      db.close();
    },
  };
}
