import { afterEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import {
  addCriterion,
  getCriteria,
  readCriteria,
  removeCriterion,
  updateCriterion,
} from '@/lib/board-schema';
import { LIMITS } from '@/lib/limits';
import { EVENTS, type SessionState } from '@/lib/protocol';
import { docFromStored } from '@/server/storage/stored-doc';
import { Cluster, type Node } from '../helpers/cluster';
import { type DocClient, docClient, ownRedis, waitForAsync } from '../helpers/doc-cluster';
import { explainSkip } from '../helpers/postgres';
import { waitFor } from '../helpers/server';
import { expectOk, joinBoard } from '../helpers/session';

/**
 * Commands that decide on or freeze the board document read, under the board's lock, what every
 * process committed, not only what the stream has brought to their process: here the stream
 * brings nothing (the test's own Redis is killed before the other process commits).
 */
const skip = explainSkip('Commands on the current document across processes', [
  'TEST_DATABASE_URL',
  'TEST_REDIS_URL',
]);

describe.skipIf(skip)('commands read every process’s commits of the document', () => {
  let cluster: Cluster | undefined;
  const after: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const a of after.splice(0)) await a();
    await cluster?.cleanup();
    cluster = undefined;
  });

  /** Two processes on the test's own Redis; the facilitator on p1, Bob on p2, both with the document open. */
  async function twoProcesses() {
    const redis = await ownRedis();
    after.push(() => redis.kill());
    cluster = await Cluster.start(2, { redisUrl: redis.url });
    const [p1, p2] = cluster.nodes as [Node, Node];
    const board = await p1.createBoard();
    const fac = await joinBoard(p1, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const bob = await joinBoard(p2, board.id, 'Bob');
    // Both processes keep the board loaded, as open pages do.
    const docs: DocClient[] = [
      docClient(p1.url, board.id, { participantId: fac.id, token: fac.token }),
      docClient(p2.url, board.id, { participantId: bob.id, token: bob.token }),
    ];
    after.unshift(async () => {
      for (const d of docs) d.destroy();
    });
    await waitFor(() => docs.every((d) => d.provider.synced), 'both documents synced');
    const store = await cluster.store();
    return { redis, p1, p2, board, fac, bob, docs: docs as [DocClient, DocClient], store };
  }

  /** Waits until `check` holds of the board's document as stored (what a process committed). */
  async function stored(
    store: Awaited<ReturnType<Cluster['store']>>,
    boardId: string,
    check: (doc: Y.Doc) => boolean,
    what: string,
  ) {
    await waitForAsync(async () => {
      const doc = docFromStored(await store.loadDocument(boardId));
      try {
        return check(doc);
      } finally {
        doc.destroy();
      }
    }, what);
  }

  it('[R6] [D18] finalizing on one process freezes a rename committed through another process that the stream never brought', async () => {
    const { redis, p1, board, fac, docs, store } = await twoProcesses();
    const [, bobDoc] = docs;
    const criterionId = readCriteria(bobDoc.doc)[0]!.id;

    // The stream goes first: nothing tells p1 of what p2 commits next.
    await redis.kill();
    updateCriterion(bobDoc.doc, criterionId, { name: 'Renamed on process two' });
    await stored(
      store,
      board.id,
      (d) => readCriteria(d).some((c) => c.name === 'Renamed on process two'),
      'p2 committed the rename',
    );
    expect(readCriteria(docs[0].doc).some((c) => c.name === 'Renamed on process two')).toBe(false);

    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    const record = await (await fetch(`${p1.url}/api/boards/${board.id}/decision.md`)).text();
    expect(record).toContain('Renamed on process two');
  }, 120_000);

  it('[D18] a ballot on a criterion another process added, before the stream brought it, is accepted', async () => {
    const { redis, board, fac, bob, docs, store } = await twoProcesses();
    const [facDoc] = docs;
    await redis.kill();
    // Added through p1 (whose stream publish fails), then a round started there.
    addCriterion(facDoc.doc, { id: 'latecomer', name: 'Latecomer', description: '', weight: 3 });
    await stored(
      store,
      board.id,
      (d) => readCriteria(d).some((c) => c.id === 'latecomer'),
      'p1 committed it',
    );
    const roundId = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds.at(
      -1,
    )!.id;
    expectOk(
      await bob.send(EVENTS.ballotCast, {
        roundId,
        criterionId: 'latecomer',
        optionId: 'django',
        value: 4,
      }),
    );
  }, 120_000);

  it('[R7] [D18] a new round carries no score onto a criterion another process removed before the stream brought it', async () => {
    const { redis, board, fac, bob, docs, store } = await twoProcesses();
    const [, bobDoc] = docs;
    const [gone, kept] = readCriteria(bobDoc.doc).map((c) => c.id) as [string, string];
    const first = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds.at(
      -1,
    )!.id;
    for (const criterionId of [gone, kept]) {
      expectOk(
        await bob.send(EVENTS.ballotCast, { roundId: first, criterionId, optionId: 'django', value: 4 }),
      );
    }
    expectOk(await fac.send(EVENTS.roundReveal, { roundId: first }));
    await waitFor(
      () => bob.latest().rounds.at(-1)?.revealedAt != null,
      'p2 knows the round is revealed (structure editable again)',
    );

    await redis.kill();
    removeCriterion(bobDoc.doc, gone);
    await stored(
      store,
      board.id,
      (d) => !readCriteria(d).some((c) => c.id === gone),
      'p2 committed the removal',
    );

    const second = expectOk(await fac.send<SessionState>(EVENTS.roundStart, { mode: 'blind' })).rounds.at(
      -1,
    )!.id;
    const carried = (await store.listScores(board.id)).filter((r) => r.roundId === second);
    expect(carried.map((r) => r.criterionId)).toEqual([kept]);
  }, 120_000);

  it('[L4] [S9] restoring a criterion is refused with limit_reached when another process’s commits, never streamed here, filled the board to 40 criteria', async () => {
    const { redis, board, fac, docs, store } = await twoProcesses();
    const [facDoc, bobDoc] = docs;
    // One criterion removed through p1, so there is something to restore.
    const removed = readCriteria(facDoc.doc)[0]!.id;
    removeCriterion(facDoc.doc, removed);
    await waitFor(
      () => !readCriteria(bobDoc.doc).some((c) => c.id === removed),
      'p2 has the removal (stream up)',
    );

    // The stream goes; p2 fills the board to the cap.
    await redis.kill();
    const missing = LIMITS.MAX_CRITERIA - getCriteria(bobDoc.doc).length;
    expect(missing).toBeGreaterThan(0);
    for (let i = 0; i < missing; i++) {
      addCriterion(bobDoc.doc, { id: `filler-${i}`, name: `Filler ${i}`, description: '', weight: 3 });
    }
    await stored(
      store,
      board.id,
      (d) => getCriteria(d).length === LIMITS.MAX_CRITERIA,
      'p2 committed 40 criteria',
    );
    expect(getCriteria(facDoc.doc).length).toBeLessThan(LIMITS.MAX_CRITERIA);

    expect(await fac.send(EVENTS.criterionRestore, { criterionId: removed })).toMatchObject({
      ok: false,
      error: { code: 'limit_reached' },
    });
    const final = docFromStored(await store.loadDocument(board.id));
    expect(getCriteria(final).length).toBe(LIMITS.MAX_CRITERIA);
    expect(readCriteria(final).some((c) => c.id === removed)).toBe(false);
    final.destroy();
  }, 120_000);
});
