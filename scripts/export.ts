import fs from 'node:fs';
import path from 'node:path';
import { readBoard } from '@/lib/board-schema';
import { exportDecisionRecord } from '../server/decision-export';
import { redactSecrets } from '../server/logger';
import { PostgresStore } from '../server/storage/postgres-store';
import { SqliteStore } from '../server/storage/sqlite-store';
import { docFromStored } from '../server/storage/stored-doc';
import type { BoardStore } from '../server/storage/types';

/**
 * `npm run export -- <board-id> [--out FILE]`: writes a board's decision record (MADR 4
 * Markdown) from the local store in DATA_DIR to stdout or FILE, without a running server.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  const boardId = args.find((a, i) => !a.startsWith('--') && !(outAt >= 0 && i === outAt + 1));
  if (!boardId) {
    console.error(
      'usage: npm run export -- <board-id> [--out FILE]\n(reads the store in DATA_DIR, default ./data, or in DATABASE_URL when set)',
    );
    return 2;
  }
  const dataDir = path.resolve(process.env.DATA_DIR ?? './data');
  const file = path.join(dataDir, 'decision-board.sqlite');
  // With DATABASE_URL the boards are in Postgres, as for the server.
  const databaseUrl = process.env.DATABASE_URL?.trim() || null;
  if (!databaseUrl && !fs.existsSync(file)) {
    console.error(`no store at ${file}: set DATA_DIR to the server's data directory (or DATABASE_URL)`);
    return 1;
  }
  const where = databaseUrl ? 'the database' : dataDir;
  const store: BoardStore = databaseUrl
    ? await PostgresStore.open({ connectionString: databaseUrl, poolSize: 2, lockPoolSize: 1 })
    : new SqliteStore(file);
  try {
    const record = await exportDecisionRecord(
      store,
      async (id) => {
        const doc = docFromStored(await store.loadDocument(id));
        const snapshot = readBoard(doc);
        doc.destroy();
        return snapshot;
      },
      boardId,
      { baseUrl: process.env.PUBLIC_URL?.replace(/\/+$/, '') ?? null, now: new Date() },
    );
    if (!record) {
      // The id is the participant secret: never echo it (terminals are shared, logs kept).
      console.error(`no board with that id in ${where}`);
      return 1;
    }
    if (out) {
      fs.writeFileSync(out, record.markdown);
      console.error(`wrote ${out}`);
    } else process.stdout.write(record.markdown);
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(redactSecrets(err instanceof Error ? err.message : String(err)));
    process.exit(1);
  },
);
