import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { getCriteria, getOptions, updateCriterion, updateOption } from '@/lib/board-schema';
import { BoardDirectory } from '@/server/board-directory';
import { BoardRoom, COMPACT_AFTER_UPDATES, type RoomHooks } from '@/server/board-room';
import { DocSeal } from '@/server/doc-seal';
import { createLogger } from '@/server/logger';
import { SqliteStore } from '@/server/storage/sqlite-store';
import { loadTemplates } from '@/server/templates';
import { closeClient, openClient, rememberBoard, whenSynced } from '../lib/clients';
import { startServer, tempDir } from '../lib/proc';
import { type Summary, sleep, summarize } from '../lib/stats';

export interface LoadTimeResult {
  storedUpdates: number;
  storedBytes: number;
  docBytes: number;
  /** BoardRoom construction until `ready` (what the server awaits before answering), 10,000 updates. */
  roomReady: Summary;
  /** … until the room's outbox is flushed: includes the compaction it queues on load, if any. */
  roomReadyAndFlushed: Summary;
  /**
   * CPU time of this process over the same spans (process.cpuUsage: the main thread and V8's
   * helper threads, so GC too): what the load costs, whatever else runs on the machine.
   * Optional: absent from runs before it was measured.
   */
  roomReadyCpu?: Summary;
  roomReadyAndFlushedCpu?: Summary;
  /** Whether loading the 10,000-update board left it compacted (the room folds a long tail on load). */
  compactsOnLoad: boolean;
  /** By hand: SQLite read (store.loadDocument) … */
  readStore: Summary;
  /** … every stored part applied to a fresh doc in one transaction … */
  applyEach: Summary;
  /** … and, for comparison, Y.mergeUpdates of the parts + one applyUpdate (slow for many parts). */
  mergeThenApply: Summary;
  /** The board as the room keeps it (compacted every COMPACT_AFTER_UPDATES): snapshot + the rest. */
  compacted: { storedUpdates: number; roomReady: Summary };
  /** A real client through a freshly started server, on the 10,000-update board: connect → synced. */
  clientColdSyncFull: Summary;
  /** The same once the board is stored as the room left it, board not loaded. */
  clientColdSync: Summary;
  /** Board already loaded by another client. */
  clientWarmSync: Summary;
}

const PARTICIPANTS = 6;

/**
 * Builds a board with `updates` stored updates directly through SqliteStore (createBoard +
 * updates − 1 appendUpdate): criterion weight / name and option description edits made by
 * six participants' Y.Docs, each update as the server would store it.
 */
export async function buildBoard(file: string, updates: number): Promise<{ id: string; docBytes: number }> {
  const store = new SqliteStore(file);
  const directory = new BoardDirectory(store, loadTemplates(), new DocSeal(await store.serverSecret()));
  const { id, viewerKey } = await directory.createBoard('django-vs-node', undefined, new Date());
  // Clients read it as viewers (our /yjs opens a board id only with participant credentials).
  rememberBoard(id, viewerKey);
  const stored = await store.loadDocument(id);
  const docs = Array.from({ length: PARTICIPANTS }, () => {
    const d = new Y.Doc();
    for (const u of stored.updates) Y.applyUpdate(d, u, 'storage');
    return d;
  });
  const first = docs[0]!;
  const criterionIds = getCriteria(first)
    .toArray()
    .map((c) => String(c.get('id')));
  const optionIds = getOptions(first)
    .toArray()
    .map((o) => String(o.get('id')));
  let captured: Uint8Array | null = null;
  const capture = (u: Uint8Array, origin: unknown) => {
    if (origin !== 'peer') captured = u;
  };
  for (const d of docs) d.on('update', capture);
  const pick = <T>(arr: T[]): T => arr[Math.floor(Math.random() * arr.length)]!;
  for (let i = 1; i < updates; i++) {
    const doc = docs[i % PARTICIPANTS]!;
    const r = Math.random();
    captured = null;
    if (r < 0.6) updateCriterion(doc, pick(criterionIds), { weight: Math.floor(Math.random() * 101) });
    else if (r < 0.85) updateCriterion(doc, pick(criterionIds), { name: `Criterion ${i % 97} (rev ${i})` });
    else updateOption(doc, pick(optionIds), { description: `Option notes, revision ${i}` });
    const update = captured as Uint8Array | null;
    if (!update) throw new Error('edit produced no update');
    await store.appendUpdate(id, update);
    for (const other of docs) if (other !== doc) Y.applyUpdate(other, update, 'peer');
  }
  const docBytes = Y.encodeStateAsUpdate(first).byteLength;
  for (const d of docs) d.destroy();
  await store.close();
  return { id, docBytes };
}

/**
 * Runs `fn` (after one untimed warm-up run unless `warmUp` is false) until `count` timed runs
 * or `budgetMs` have passed, but at least `min` runs; returns the timed runs' results.
 */
async function timedSeries<T>(
  count: number,
  budgetMs: number,
  min: number,
  fn: () => Promise<T>,
  warmUp = true,
): Promise<T[]> {
  if (warmUp) await fn();
  const out: T[] = [];
  const start = performance.now();
  while (out.length < count && (out.length < min || performance.now() - start < budgetMs))
    out.push(await fn());
  return out;
}

const DB_FILE = 'decision-board.sqlite';

/** Replaces the working copy of the database by the pristine one (the server may compact it). */
function restore(pristineDir: string, workDir: string): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(workDir, DB_FILE + suffix), { force: true });
  fs.copyFileSync(path.join(pristineDir, DB_FILE), path.join(workDir, DB_FILE));
}

export async function measureLoadTime(opts: {
  updates: number;
  loads: number;
  clientLoads: number;
}): Promise<LoadTimeResult> {
  const pristineDir = tempDir('load-pristine');
  const dataDir = tempDir('load');
  const file = path.join(dataDir, DB_FILE);
  const log = createLogger('silent');
  // The room alone, as the server builds it; the session-side hooks do nothing here.
  const hooks: RoomHooks = {
    onCommitted: () => {},
    policy: () => ({
      writable: true,
      roundOpen: false,
      structureEditors: 'everyone',
      isFacilitator: () => false,
    }),
    prepare: async () => {},
    onConnected: () => {},
    onFailed: () => {},
  };
  try {
    // Closing the store checkpoints the WAL: the pristine board is one file.
    const { id, docBytes } = await buildBoard(path.join(pristineDir, DB_FILE), opts.updates);
    restore(pristineDir, dataDir);
    const probe = new SqliteStore(file);
    const stored = await probe.loadDocument(id);
    await probe.close();
    const storedUpdates = stored.updates.length + (stored.snapshot ? 1 : 0);
    if (storedUpdates !== opts.updates)
      throw new Error(`expected ${opts.updates} stored updates, got ${storedUpdates}`);

    // Room loads, each on a fresh copy of the 10,000-update board.
    let compactsOnLoad = false;
    const rooms = await timedSeries(opts.loads, 15_000, 5, async () => {
      restore(pristineDir, dataDir);
      const store = new SqliteStore(file);
      const seal = new DocSeal(await store.serverSecret());
      const t = performance.now();
      const c = process.cpuUsage();
      const room = new BoardRoom(id, store, seal, hooks, log);
      await room.ready;
      const readyMs = performance.now() - t;
      const readyCpu = process.cpuUsage(c);
      await room.flushed();
      const flushedMs = performance.now() - t;
      const flushedCpu = process.cpuUsage(c);
      if (getCriteria(room.doc).length === 0) throw new Error('loaded room is empty');
      if (room.isFailed) throw new Error('room failed while loading');
      room.destroy();
      compactsOnLoad = (await store.loadDocument(id)).updates.length < stored.updates.length;
      await store.close();
      return {
        readyMs,
        flushedMs,
        readyCpuMs: (readyCpu.user + readyCpu.system) / 1000,
        flushedCpuMs: (flushedCpu.user + flushedCpu.system) / 1000,
      };
    });

    // The load steps by hand, on the pristine board (nothing here writes).
    restore(pristineDir, dataDir);
    const store = new SqliteStore(file);
    const steps = await timedSeries(opts.loads, 5000, 5, async () => {
      const t = performance.now();
      const doc = await store.loadDocument(id);
      const t1 = performance.now();
      const parts = doc.snapshot ? [doc.snapshot, ...doc.updates] : doc.updates;
      const each = new Y.Doc();
      each.transact(() => {
        for (const part of parts) Y.applyUpdate(each, part);
      });
      const t2 = performance.now();
      each.destroy();
      return { readMs: t1 - t, applyEachMs: t2 - t1, parts };
    });
    // Y.mergeUpdates is quadratic in the number of parts: a few runs, time-boxed.
    const merges = await timedSeries(
      opts.loads,
      3000,
      1,
      async () => {
        const parts = steps[0]?.parts ?? [];
        const t = performance.now();
        const merged = Y.mergeUpdates(parts);
        const doc = new Y.Doc();
        Y.applyUpdate(doc, merged);
        const ms = performance.now() - t;
        doc.destroy();
        return ms;
      },
      false,
    );

    // The same board as the room keeps it: it compacts every COMPACT_AFTER_UPDATES appends,
    // so fewer than that many updates follow a snapshot.
    const keep = (opts.updates % COMPACT_AFTER_UPDATES || COMPACT_AFTER_UPDATES) - 1;
    const head = stored.updates.slice(0, stored.updates.length - keep);
    const snapDoc = new Y.Doc();
    snapDoc.transact(() => {
      for (const u of head) Y.applyUpdate(snapDoc, u);
    });
    // Seqs are contiguous: this board is the only one in the file.
    await store.compact(id, Y.encodeStateAsUpdate(snapDoc), stored.lastSeq - keep);
    snapDoc.destroy();
    const compactedReady = await timedSeries(opts.loads, 5000, 5, async () => {
      const t = performance.now();
      const room = new BoardRoom(id, store, new DocSeal(await store.serverSecret()), hooks, log);
      await room.ready;
      const readyMs = performance.now() - t;
      await room.flushed();
      if (getCriteria(room.doc).length === 0) throw new Error('loaded room is empty');
      room.destroy();
      return readyMs;
    });
    const compactedStored = await store.loadDocument(id);
    await store.close();

    // Through the running server (its own process, on this data directory). First on the
    // 10,000-update board: a fresh copy and a freshly started server each time.
    const full = await timedSeries(
      opts.clientLoads,
      10_000,
      3,
      async () => {
        restore(pristineDir, dataDir);
        const server = await startServer('ours', { dataDir });
        try {
          const t = performance.now();
          const c = openClient(server, id);
          await whenSynced(c);
          const ms = performance.now() - t;
          if (getCriteria(c.doc).length === 0) throw new Error('client got an empty board');
          closeClient(c);
          return ms;
        } finally {
          await server.stop();
        }
      },
      false,
    );
    // Then the board as the server stores it after that first load, evicted between rounds.
    restore(pristineDir, dataDir);
    const server = await startServer('ours', { dataDir });
    let clientRuns: { coldMs: number; warmMs: number }[];
    try {
      clientRuns = await timedSeries(opts.clientLoads, 8000, 3, async () => {
        let t = performance.now();
        const c = openClient(server, id);
        await whenSynced(c);
        const coldMs = performance.now() - t;
        t = performance.now();
        const c2 = openClient(server, id);
        await whenSynced(c2);
        const warmMs = performance.now() - t;
        if (getCriteria(c2.doc).length === 0) throw new Error('client got an empty board');
        closeClient(c);
        closeClient(c2);
        const deadline = Date.now() + 10_000;
        while ((await server.rooms()) > 0 && Date.now() < deadline) await sleep(20);
        return { coldMs, warmMs };
      });
    } finally {
      await server.stop();
    }

    return {
      storedUpdates,
      storedBytes: stored.storedBytes,
      docBytes,
      roomReady: summarize(rooms.map((r) => r.readyMs)),
      roomReadyAndFlushed: summarize(rooms.map((r) => r.flushedMs)),
      roomReadyCpu: summarize(rooms.map((r) => r.readyCpuMs)),
      roomReadyAndFlushedCpu: summarize(rooms.map((r) => r.flushedCpuMs)),
      compactsOnLoad,
      readStore: summarize(steps.map((r) => r.readMs)),
      applyEach: summarize(steps.map((r) => r.applyEachMs)),
      mergeThenApply: summarize(merges),
      compacted: {
        storedUpdates: compactedStored.updates.length + (compactedStored.snapshot ? 1 : 0),
        roomReady: summarize(compactedReady),
      },
      clientColdSyncFull: summarize(full),
      clientColdSync: summarize(clientRuns.map((r) => r.coldMs)),
      clientWarmSync: summarize(clientRuns.map((r) => r.warmMs)),
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(pristineDir, { recursive: true, force: true });
  }
}
