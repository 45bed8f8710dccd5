import fs from 'node:fs';
import path from 'node:path';
import { readBoard } from '@/lib/board-schema';
import { exportDecisionRecord } from '../server/decision-export';
import { redactSecrets } from '../server/logger';
import { SqliteStore } from '../server/storage/sqlite-store';
import { docFromStored } from '../server/storage/stored-doc';

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
      'usage: npm run export -- <board-id> [--out FILE]\n(reads the store in DATA_DIR, default ./data)',
    );
    return 2;
  }
  const dataDir = path.resolve(process.env.DATA_DIR ?? './data');
  const file = path.join(dataDir, 'decision-board.sqlite');
  if (!fs.existsSync(file)) {
    console.error(`no store at ${file}: set DATA_DIR to the server's data directory`);
    return 1;
  }
  const store = new SqliteStore(file);
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
      console.error(`no board with that id in ${dataDir}`);
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
