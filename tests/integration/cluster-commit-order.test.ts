import { afterEach, describe, expect, it } from 'vitest';
import { readBoard, setMetaText } from '@/lib/board-schema';
import { type AppServer, createServer } from '@/server/create-server';
import { PostgresStore } from '@/server/storage/postgres-store';
import {
  CLUSTER_REDIS_URL,
  clusterSkipReason,
  createBoard,
  docClient,
  freshDatabase,
  join,
} from '../helpers/doc-cluster';
import { HeldStore } from '../helpers/held-store';
import { tempDataDir, testConfig, testDeps, waitFor } from '../helpers/server';

/**
 * D1 across processes, step by step: two servers in this test process on one Postgres
 * database and Redis, the first with a hand on its store's appends (tests/helpers/held-store.ts).
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(databaseUrl: string, held?: HeldStore): Promise<AppServer> {
  const s = await createServer(testConfig(tempDataDir(), { databaseUrl, redisUrl: CLUSTER_REDIS_URL }), {
    ...testDeps(),
    ...(held ? { store: held.store } : {}),
  });
  cleanups.push(() => s.close());
  return s;
}

describe.skipIf(clusterSkipReason)('commit before relay, across processes', { timeout: 60_000 }, () => {
  it('[D18] another process relays an edit only after the process that received it committed it', async () => {
    const db = await freshDatabase();
    cleanups.push(() => db.drop());
    const held = new HeldStore(await PostgresStore.open({ connectionString: db.url }));
    const s1 = await server(db.url, held);
    const s2 = await server(db.url);
    const board = await createBoard(s1.url);
    const a = docClient(s1.url, board.id, await join(s1.url, board.id, 'Ann'));
    const b = docClient(s2.url, board.id, await join(s2.url, board.id, 'Ben'));
    cleanups.push(() => a.destroy());
    cleanups.push(() => b.destroy());
    await waitFor(() => a.provider.synced && b.provider.synced, 'both synced', 10_000);

    held.hold('appendUpdates');
    // Released first when the test fails early, or the servers' close would wait for it.
    cleanups.push(() => held.release('appendUpdates'));
    setMetaText(a.doc, 'title', 'held on process 1');
    await waitFor(() => held.waitingOn('appendUpdates') === 1, 'append waiting');
    // A round trip along the same path (process 1 → Redis → process 2 → b), sent after the
    // edit: once it arrived, a publish made before the commit would have arrived too.
    a.provider.awareness.setLocalStateField('user', { name: 'Ann' });
    await waitFor(() => b.provider.awareness.getStates().has(a.doc.clientID), 'b saw Ann’s presence');
    expect(readBoard(b.doc).title).not.toBe('held on process 1');

    held.release('appendUpdates');
    await waitFor(
      () => readBoard(b.doc).title === 'held on process 1',
      'relayed by process 2 after the commit',
    );
  });
});
