import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  getCriteria,
  getDecision,
  getMeta,
  getNotes,
  getOptions,
  readBoard,
  setMetaText,
} from '@/lib/board-schema';
import { EVENTS, YJS_CLOSE } from '@/lib/protocol';
import { createServer } from '@/server/create-server';
import { docFromStored } from '@/server/storage/stored-doc';
import { docUrl, TestEnv, tempDataDir, testConfig, testDeps, waitFor } from '../helpers/server';
import { joinBoard } from '../helpers/session';
import { rawDocSocket } from '../helpers/yjs-frames';

const ROOT = path.resolve(import.meta.dirname, '../..');
let env: TestEnv;
afterEach(async () => {
  await env?.cleanup();
});

const dbFile = () => path.join(env.dataDir, 'decision-board.sqlite');

describe('[D] health reflects storage', () => {
  it('[D11] with the database file deleted under the server, nothing more is acknowledged and /healthz says 503', async () => {
    env = await TestEnv.start();
    const board = await env.createBoard();
    const alice = await joinBoard(env, board.id, 'Alice');
    const a = await env.provider(board.id);
    expect((await fetch(`${env.url}/healthz`)).status).toBe(200);
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(dbFile() + suffix, { force: true });

    const health = await fetch(`${env.url}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { status: string }).status).toBe('storage_failed');
    // A document edit is not relayed or confirmed: the room closes with STORAGE_FAILED.
    const closed = new Promise<number | undefined>((resolve) =>
      a.provider.once('connection-close', (e: { code: number } | null) => resolve(e?.code)),
    );
    setMetaText(a.doc, 'title', 'lost?');
    expect(await closed).toBe(YJS_CLOSE.STORAGE_FAILED);
    // A session command is refused, not acknowledged.
    const r = await alice.send(EVENTS.participantRename, { name: 'Alicia' });
    expect(r.ok).toBe(false);
  });

  it('[D11] a storage error while looking a board up is an error (500, STORAGE_FAILED), never "unknown board"', async () => {
    env = await TestEnv.start({}, { heldStore: true });
    const board = await env.createBoard();
    const corrupt = Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
    env.held!.failNext('getBoard', corrupt);
    const summary = await fetch(`${env.url}/api/boards/${board.id}`);
    expect(summary.status).toBe(500);
    const credentials = await env.participantCredentials(board.id);
    env.held!.failNext('getBoard', corrupt);
    const raw = rawDocSocket(docUrl(env, board.id, credentials));
    expect((await raw.closed).code).toBe(YJS_CLOSE.STORAGE_FAILED);
  });

  it('[D11] a server started on a corrupted database file refuses to start and says which file', async () => {
    env = await TestEnv.start();
    for (let i = 0; i < 30; i++) await env.createBoard();
    const port = env.server.port;
    await env.server.close();
    const fd = fs.openSync(dbFile(), 'r+');
    const len = fs.fstatSync(fd).size;
    expect(len).toBeGreaterThan(64 * 1024);
    for (let off = 4096; off < len; off += 4096) fs.writeSync(fd, Buffer.alloc(1024, 0x5a), 0, 1024, off);
    fs.closeSync(fd);
    await expect(createServer(testConfig(env.dataDir, { port }), testDeps())).rejects.toThrow(
      /decision-board\.sqlite.*malformed|malformed.*decision-board\.sqlite/,
    );
    // Cleanup must not close a server that never started.
    env.server = await createServer(testConfig(tempDataDir(), { port: 0 }), testDeps());
  });
});

describe('[L] readers tolerate whatever is already stored', () => {
  it('[L8] a board stored with schema-breaking content (from before the guard) loads, summarizes and exports', async () => {
    env = await TestEnv.start();
    const board = await env.createBoard();
    // Written straight to storage, as an old server would have accepted it.
    const stored = await env.server.store.loadDocument(board.id);
    const doc = docFromStored(stored);
    const before = Y.encodeStateVector(doc);
    doc.transact(() => {
      getMeta(doc).set('status', 'finalized');
      getMeta(doc).set('title', 42 as unknown as string);
      (getCriteria(doc).get(0).get('evidence') as Y.Array<unknown>).push([null, 'text', { id: 1 }]);
      getCriteria(doc).get(1).set('weight', 'heavy');
      getCriteria(doc).get(2).set('contested', { summary: 3 });
      getOptions(doc).push(['not a map' as unknown as Y.Map<unknown>]);
      const dup = new Y.Map<unknown>();
      dup.set('id', 'node');
      dup.set('name', 'A duplicate Node.js');
      getOptions(doc).push([dup]);
      getDecision(doc).set('chosenOptionId', { $ne: 1 });
      getDecision(doc).set('status', 'approved');
      getNotes(doc).insertEmbed(0, { deep: { deeper: [1, 2, 3] } });
      doc.getMap('unknown-root').set('x', 1);
    });
    await env.server.store.appendUpdate(board.id, Y.encodeStateAsUpdate(doc, before));

    const summary = await fetch(`${env.url}/api/boards/${board.id}`);
    expect(summary.status).toBe(200);
    const body = (await summary.json()) as { status: string; title: string; options: { id: string }[] };
    expect(body.status).toBe('open'); // the session's status, not the document's
    expect(body.title).toBe('');
    expect(body.options.map((o) => o.id)).toEqual(['django', 'node']);
    const record = await fetch(`${env.url}/api/boards/${board.id}/decision.md`);
    expect(record.status).toBe(200);
    const { doc: live } = await env.provider(board.id);
    const read = readBoard(live);
    expect(read.criteria[0]!.evidence.every((e) => typeof e.id === 'string')).toBe(true);
    expect(read.criteria[1]!.weight).toBe(0);
    expect(read.criteria[2]!.contested).toBeNull();
    expect(read.decision.chosenOptionId).toBe('');
    expect(read.decision.status).toBe('proposed');

    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/export.ts', board.id],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: env.dataDir } },
    );
    expect(stdout).toMatch(/^---\n/);
  });
});

describe('[L] what is derived from a board is computed once per version', () => {
  it('ten summary reads of an unchanged board load its document once; an edit makes the next read fresh', async () => {
    env = await TestEnv.start({}, { heldStore: true });
    const board = await env.createBoard();
    const before = env.held!.callsOf('loadDocument');
    const reads = await Promise.all(
      Array.from({ length: 10 }, () => fetch(`${env.url}/api/boards/${board.id}`).then((r) => r.json())),
    );
    expect(new Set(reads.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(env.held!.callsOf('loadDocument') - before).toBe(1);
    await fetch(`${env.url}/api/boards/${board.id}/decision.md`);
    expect(env.held!.callsOf('loadDocument') - before).toBe(1);

    const a = await env.provider(board.id);
    setMetaText(a.doc, 'title', 'Renamed');
    await waitFor(() => env.server.yjs.loadedRoom(board.id)?.version !== undefined, 'loaded');
    const room = env.server.yjs.loadedRoom(board.id)!;
    await waitFor(() => !room.hasPending, 'committed');
    await room.settled();
    const after = (await (await fetch(`${env.url}/api/boards/${board.id}`)).json()) as { title: string };
    expect(after.title).toBe('Renamed');
  });
});
