import { afterEach, describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import {
  addOption,
  getCriteria,
  getDecision,
  getMeta,
  getNotes,
  getOptions,
  getQuestion,
  readBoard,
  setMetaText,
  updateCriterion,
} from '@/lib/board-schema';
import { LIMITS } from '@/lib/limits';
import { EVENTS, YJS_CLOSE } from '@/lib/protocol';
import { type DocCredentials, docUrl, TestEnv, waitFor } from '../helpers/server';
import { expectOk, joinBoard } from '../helpers/session';
import {
  awarenessMessage,
  type RawDocSocket,
  rawDocSocket,
  syncStep1Message,
  updateMessage,
} from '../helpers/yjs-frames';

let env: TestEnv;
afterEach(async () => {
  await env?.cleanup();
});

async function start(options: { heldStore?: boolean } = {}): Promise<void> {
  env = await TestEnv.start({}, options);
}

/** A raw participant connection that has joined the board; resolves once open. */
async function participantSocket(boardId: string, credentials?: DocCredentials): Promise<RawDocSocket> {
  const raw = rawDocSocket(docUrl(env, boardId, credentials ?? (await env.participantCredentials(boardId))));
  await raw.opened;
  return raw;
}

/** The server's current document of a board, as a fresh client sees it. */
async function boardAsSeen(boardId: string) {
  const { doc } = await env.provider(boardId);
  return readBoard(doc);
}

/**
 * What a hostile participant sends: its replica of the board (synced from the server),
 * changed by `edit`, as one update of only what the server lacks.
 */
async function hostileUpdate(boardId: string, edit: (doc: Y.Doc) => void): Promise<Uint8Array> {
  const { doc } = await env.provider(boardId);
  const before = Y.encodeStateVector(doc);
  const evil = new Y.Doc();
  Y.applyUpdate(evil, Y.encodeStateAsUpdate(doc));
  edit(evil);
  return Y.encodeStateAsUpdate(evil, before);
}

describe('[L] malformed addresses never crash the server or hold a socket', () => {
  it.each(['%E0%A4%A', '%ZZ', '', `${'A'.repeat(70)}`, 'a/b'])(
    '[L1] an upgrade to /yjs/%s is closed with BAD_MESSAGE and the server keeps serving',
    async (room) => {
      await start();
      const raw = rawDocSocket(`${env.wsUrl}/${room}`);
      const closed = await raw.closed;
      expect(closed.code).toBe(YJS_CLOSE.BAD_MESSAGE);
      expect((await fetch(`${env.url}/healthz`)).status).toBe(200);
    },
  );

  it('[L1][L5] frames sent on a refused connection are not kept: the socket is closed at once', async () => {
    await start();
    const raw = rawDocSocket(`${env.wsUrl}/%ZZ`);
    raw.ws.on('open', () => {
      for (let i = 0; i < 20; i++) raw.ws.send(Buffer.alloc(64 * 1024, 7));
    });
    expect((await raw.closed).code).toBe(YJS_CLOSE.BAD_MESSAGE);
    expect(env.server.yjs.loadedRoomCount).toBe(0);
  });
});

describe('[R] the document connection carries the participant’s credentials', () => {
  it('[R5] a board id without credentials, or with a wrong token, is refused with CREDENTIALS_REQUIRED', async () => {
    await start();
    const board = await env.createBoard();
    const none = rawDocSocket(docUrl(env, board.id));
    expect((await none.closed).code).toBe(YJS_CLOSE.CREDENTIALS_REQUIRED);
    const creds = await env.participantCredentials(board.id);
    const wrong = rawDocSocket(docUrl(env, board.id, { ...creds, token: 'x'.repeat(22) }));
    expect((await wrong.closed).code).toBe(YJS_CLOSE.CREDENTIALS_REQUIRED);
    const other = await env.createBoard();
    const elsewhere = rawDocSocket(docUrl(env, other.id, creds));
    expect((await elsewhere.closed).code).toBe(YJS_CLOSE.CREDENTIALS_REQUIRED);
  });

  it('[R4] removing a participant closes their open document connection with FORBIDDEN, and they cannot reconnect', async () => {
    await start();
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const bot = await joinBoard(env, board.id, 'Bot');
    const creds = { participantId: bot.id, token: bot.token };
    const writer = await env.provider(board.id, { credentials: creds });
    const closed = new Promise<{ code: number }>((resolve) =>
      writer.provider.once('closed', (e: { code: number }) => resolve(e)),
    );
    expectOk(await fac.send(EVENTS.participantRemove, { participantId: bot.id }));
    expect((await closed).code).toBe(YJS_CLOSE.FORBIDDEN);
    // Its edits made after removal never reach the board.
    setMetaText(writer.doc, 'title', 'written after removal');
    const again = rawDocSocket(docUrl(env, board.id, creds));
    expect((await again.closed).code).toBe(YJS_CLOSE.FORBIDDEN);
    expect((await boardAsSeen(board.id)).title).not.toBe('written after removal');
  });
});

describe('[L] every update is checked against the board schema before it is stored', () => {
  it('[L2][L4] one update adding 1,000 options and 1,000 criteria is refused whole; the server stays responsive', async () => {
    await start();
    const board = await env.createBoard();
    const other = await env.createBoard();
    const update = await hostileUpdate(board.id, (d) => {
      d.transact(() => {
        for (let i = 0; i < 1000; i++) {
          const o = new Y.Map<unknown>();
          o.set('id', `o${i}`);
          getOptions(d).push([o]);
          const c = new Y.Map<unknown>();
          c.set('id', `c${i}`);
          getCriteria(d).push([c]);
        }
      });
    });
    const raw = await participantSocket(board.id);
    raw.ws.send(updateMessage(update));
    const closed = await raw.closed;
    expect(closed.code).toBe(YJS_CLOSE.UPDATE_REFUSED);
    expect(closed.reason).toMatch(/at most/);
    expect((await fetch(`${env.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${env.url}/api/boards/${other.id}`)).status).toBe(200);
    const seen = await boardAsSeen(board.id);
    expect(seen.options).toHaveLength(2);
    expect(seen.criteria).toHaveLength(12);
  });

  it('[L2][D13] an embed or a bidi override in the question is refused and the question is unchanged; plain typing goes through', async () => {
    await start();
    const board = await env.createBoard();
    const original = (await boardAsSeen(board.id)).question;
    for (const edit of [
      (d: Y.Doc) => getQuestion(d).insertEmbed(0, { x: 1 }),
      (d: Y.Doc) => getQuestion(d).insert(0, '\u202Eevil'),
    ]) {
      const update = await hostileUpdate(board.id, edit);
      const raw = await participantSocket(board.id);
      raw.ws.send(updateMessage(update));
      expect((await raw.closed).code).toBe(YJS_CLOSE.UPDATE_REFUSED);
    }
    expect((await boardAsSeen(board.id)).question).toBe(original);
    const a = await env.provider(board.id);
    const b = await env.provider(board.id);
    setMetaText(a.doc, 'question', `${original} (for payments)`);
    await waitFor(() => readBoard(b.doc).question === `${original} (for payments)`, 'b received the edit');
  });

  it('[L2] a deeply nested embed is refused; the board keeps saving, relaying and answering commands', async () => {
    await start();
    const board = await env.createBoard();
    let nested: unknown = 'x';
    for (let i = 0; i < 2000; i++) nested = { n: nested };
    const update = await hostileUpdate(board.id, (d) => getNotes(d).insertEmbed(0, nested as object));
    const raw = await participantSocket(board.id);
    raw.ws.send(updateMessage(update));
    expect([YJS_CLOSE.UPDATE_REFUSED, YJS_CLOSE.BAD_MESSAGE]).toContain((await raw.closed).code);

    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    expectOk(
      await fac.send(EVENTS.evidenceAdd, { criterionId: 'cost', optionId: 'node', text: 'Cheap to host' }),
    );
    const a = await env.provider(board.id);
    const b = await env.provider(board.id);
    setMetaText(a.doc, 'title', 'still saving');
    await waitFor(() => readBoard(b.doc).title === 'still saving', 'b received the edit');
    await env.restart();
    const after = await boardAsSeen(board.id);
    expect(after.title).toBe('still saving');
    expect(
      after.criteria.find((c) => c.id === 'cost')?.evidence.some((e) => e.text === 'Cheap to host'),
    ).toBe(true);
    expect((await fetch(`${env.url}/api/boards/${board.id}/decision.md`)).status).toBe(200);
  });

  it.each<[string, (d: Y.Doc) => void]>([
    [
      'evidence.push([null])',
      (d) => (getCriteria(d).get(0).get('evidence') as Y.Array<unknown>).push([null]),
    ],
    ['a weight as a string', (d) => getCriteria(d).get(0).set('weight', 'heavy')],
    ['a name as a number', (d) => getOptions(d).get(0).set('name', 7)],
    ['an option that is not a map', (d) => getOptions(d).push(['django' as unknown as Y.Map<unknown>])],
    ['decision.chosenOptionId as an object', (d) => getDecision(d).set('chosenOptionId', { id: 'node' })],
    ['meta.status written by a participant', (d) => getMeta(d).set('status', 'finalized')],
    [
      'evidence with a forged author',
      (d) => {
        (getCriteria(d).get(0).get('evidence') as Y.Array<unknown>).push([
          { id: 'x', optionId: null, text: 'fake', origin: { type: 'participant', authorName: 'The CTO' } },
        ]);
      },
    ],
    ['a new root type', (d) => d.getArray('scores').push([{ secret: true }])],
    ['binary content', (d) => getMeta(d).set('title', new Uint8Array(10) as unknown as string)],
  ])(
    '[L2][L3] %s is refused whole; the board, its summary and its record are unchanged',
    async (_what, edit) => {
      await start();
      const board = await env.createBoard();
      const before = await boardAsSeen(board.id);
      const recordBefore = await (await fetch(`${env.url}/api/boards/${board.id}/decision.md`)).text();
      const raw = await participantSocket(board.id);
      raw.ws.send(updateMessage(await hostileUpdate(board.id, edit)));
      expect((await raw.closed).code).toBe(YJS_CLOSE.UPDATE_REFUSED);
      expect(await boardAsSeen(board.id)).toEqual(before);
      const summary = await fetch(`${env.url}/api/boards/${board.id}`);
      expect(summary.status).toBe(200);
      expect(((await summary.json()) as { status: string }).status).toBe('open');
      const record = await fetch(`${env.url}/api/boards/${board.id}/decision.md`);
      expect(record.status).toBe(200);
      expect(await record.text()).toBe(recordBefore);
    },
  );

  it('[L2][L5] an update with a gap in its clocks is refused as OUT_OF_SYNC and nothing of it is kept pending', async () => {
    await start();
    const board = await env.createBoard();
    const { doc } = await env.provider(board.id);
    const evil = new Y.Doc();
    Y.applyUpdate(evil, Y.encodeStateAsUpdate(doc));
    setMetaText(evil, 'title', 'first (never sent)');
    const sv = Y.encodeStateVector(evil);
    for (let i = 0; i < 50; i++) setMetaText(evil, 'title', `later ${i}`);
    const raw = await participantSocket(board.id);
    raw.ws.send(updateMessage(Y.encodeStateAsUpdate(evil, sv)));
    expect((await raw.closed).code).toBe(YJS_CLOSE.OUT_OF_SYNC);
    const room = env.server.yjs.loadedRoom(board.id)!;
    expect(room.doc.store.pendingStructs).toBeNull();
    expect(room.doc.store.pendingDs).toBeNull();
  });

  it("[D12] writing with another participant's Yjs client id is refused, and their offline edits stay", async () => {
    await start();
    const board = await env.createBoard();
    const alice = await env.provider(board.id);
    setMetaText(alice.doc, 'title', 'Alice was here');
    const check = await env.provider(board.id);
    await waitFor(() => readBoard(check.doc).title === 'Alice was here', 'alice saved');
    const mallory = new Y.Doc();
    Y.applyUpdate(mallory, Y.encodeStateAsUpdate(check.doc));
    mallory.clientID = alice.doc.clientID;
    const sv = Y.encodeStateVector(mallory);
    setMetaText(mallory, 'title', 'Mallory overwrote Alice');
    const raw = await participantSocket(board.id);
    raw.ws.send(updateMessage(Y.encodeStateAsUpdate(mallory, sv)));
    expect((await raw.closed).code).toBe(YJS_CLOSE.FORBIDDEN);
    // Alice goes on editing with her id; nothing of Mallory's is anywhere.
    setMetaText(alice.doc, 'title', 'Alice again');
    await waitFor(() => readBoard(check.doc).title === 'Alice again', 'alice still writes');
  });

  it('[R7] structure is frozen during an open round, also for the document: a participant cannot force an auto-reveal by deleting cells', async () => {
    await start();
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    expectOk(await fac.send(EVENTS.boardSetAutoReveal, { enabled: true }));
    const started = expectOk(await fac.send(EVENTS.roundStart, { mode: 'blind' }));
    const roundId = started.rounds.at(-1)!.id;
    expectOk(await fac.send(EVENTS.ballotCast, { roundId, criterionId: 'cost', optionId: 'node', value: 3 }));
    const creds = { participantId: fac.id, token: fac.token };
    const update = await hostileUpdate(board.id, (d) => {
      getCriteria(d).delete(0, getCriteria(d).length);
      getOptions(d).delete(1, 1);
      const c = new Y.Map<unknown>();
      c.set('id', 'only');
      getCriteria(d).push([c]);
    });
    const raw = await participantSocket(board.id, creds);
    raw.ws.send(updateMessage(update));
    expect((await raw.closed).code).toBe(YJS_CLOSE.UPDATE_REFUSED);
    expect(fac.latest().rounds.at(-1)!.status).toBe('open');
    expect((await boardAsSeen(board.id)).criteria).toHaveLength(12);
    // Renames are still fine during the round.
    const w = await env.provider(board.id);
    const r = await env.provider(board.id);
    updateCriterion(w.doc, 'cost', { name: 'Total cost of ownership' });
    await waitFor(
      () => readBoard(r.doc).criteria.some((c) => c.name === 'Total cost of ownership'),
      'rename relayed',
    );
  });
});

describe('[R] who may change the structure', () => {
  it('[R7] when only the facilitator may, a participant’s structural edit is refused and the facilitator’s goes through', async () => {
    await start();
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    expectOk(await fac.send(EVENTS.boardSetStructureEditors, { editors: 'facilitator' }));
    const participant = await env.provider(board.id);
    const closed = new Promise<{ code: number }>((resolve) =>
      participant.provider.once('closed', (e: { code: number }) => resolve(e)),
    );
    updateCriterion(participant.doc, 'cost', { weight: 9 });
    expect((await closed).code).toBe(YJS_CLOSE.UPDATE_REFUSED);
    const facDoc = await env.provider(board.id, { credentials: { participantId: fac.id, token: fac.token } });
    const watcher = await env.provider(board.id);
    updateCriterion(facDoc.doc, 'cost', { weight: 8 });
    await waitFor(
      () => readBoard(watcher.doc).criteria.find((c) => c.id === 'cost')?.weight === 8,
      'weight saved',
    );
  });
});

describe('[L] memory and time per connection are bounded', () => {
  it('[L5] a viewer asking for the whole board again and again without reading is cut off', async () => {
    await start();
    const board = await env.createBoard();
    const raw = rawDocSocket(docUrl(env, board.viewerKey));
    await raw.opened;
    raw.ws.pause(); // never reads a reply
    for (let i = 0; i < 150; i++) raw.ws.send(syncStep1Message(new Uint8Array([0])));
    raw.ws.resume();
    expect((await raw.closed).code).toBe(YJS_CLOSE.RATE_LIMITED);
  });

  it('[L5] a connection that stops reading while others edit is dropped once its unsent bytes pass the bound', async () => {
    const warnings: string[] = [];
    const log = { info() {}, error() {}, warn: (message: string) => warnings.push(message) };
    // A low bound so the test passes it soon after the kernel's socket buffers fill.
    env = await TestEnv.start({}, { log, yjsMaxBufferedBytes: 64 * 1024 });
    const board = await env.createBoard();
    const slow = await participantSocket(board.id);
    slow.ws.pause(); // reads nothing from now on
    // Eight writers (~9 MB relayed: more than the kernel buffers), each within its own connection's message and byte bursts (LIMITS.YJS_*).
    const writers = await Promise.all(Array.from({ length: 8 }, () => env.provider(board.id)));
    const text = 'n'.repeat(LIMITS.MAX_NOTES_CHARS - 10);
    const dropped = () => warnings.some((w) => w.includes('does not read'));
    for (const { doc } of writers) {
      const notes = getNotes(doc);
      // Each edit replaces the notes: ~4 KB relayed to the slow reader, little kept in the board.
      for (let i = 0; i < 280 && !dropped(); i++) {
        doc.transact(() => {
          notes.delete(0, notes.length);
          notes.insert(0, text);
        });
        if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
      }
    }
    await waitFor(dropped, 'the slow reader dropped', 10_000);
    expect(warnings.some((w) => w.includes('does not read'))).toBe(true);
    slow.ws.resume();
    expect((await slow.closed).code).toBe(1006); // terminated, not closed politely
    // The writer is unaffected: its edits are still saved and relayed.
    const { doc: late } = await env.provider(board.id);
    expect(getNotes(late).toString()).toBe(text);
  });

  it('[L5] awareness from a viewer is not relayed, and a participant cannot overwrite another’s presence', async () => {
    await start();
    const board = await env.createBoard();
    const watcher = await env.provider(board.id);
    const seen: number[] = [];
    watcher.provider.awareness.on('change', ({ added, updated }: { added: number[]; updated: number[] }) =>
      seen.push(...added, ...updated),
    );
    const viewerDoc = new Y.Doc();
    const viewerAwareness = new awarenessProtocol.Awareness(viewerDoc);
    viewerAwareness.setLocalState({ name: 'x'.repeat(1000) });
    const viewer = rawDocSocket(docUrl(env, board.viewerKey));
    await viewer.opened;
    viewer.ws.send(
      awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(viewerAwareness, [viewerDoc.clientID])),
    );
    // A participant sets its presence; another tries to replace it.
    const alice = await env.provider(board.id);
    alice.provider.awareness.setLocalState({ name: 'Alice' });
    await waitFor(
      () => watcher.provider.awareness.getStates().get(alice.doc.clientID)?.name === 'Alice',
      'alice present',
    );
    const forger = new awarenessProtocol.Awareness(new Y.Doc());
    forger.clientID = alice.doc.clientID;
    forger.setLocalState({ name: 'Not Alice' });
    forger.setLocalState({ name: 'Not Alice!' });
    forger.setLocalState({ name: 'Not Alice!!' });
    const raw = await participantSocket(board.id);
    raw.ws.send(awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(forger, [alice.doc.clientID])));
    // A later change of Alice's own arrives; the forgery never did.
    alice.provider.awareness.setLocalState({ name: 'Alice, still' });
    await waitFor(
      () => watcher.provider.awareness.getStates().get(alice.doc.clientID)?.name === 'Alice, still',
      'alice updated',
    );
    expect(seen).not.toContain(viewerDoc.clientID);
    expect(
      [...watcher.provider.awareness.getStates().values()].some((s) => String(s.name).startsWith('Not')),
    ).toBe(false);
    viewerAwareness.destroy();
    forger.destroy();
  });

  it('[L5] messages sent while a board loads are kept only up to a bound', async () => {
    await start({ heldStore: true });
    const board = await env.createBoard();
    const creds = await env.participantCredentials(board.id);
    env.held!.hold('loadDocument');
    const raw = await participantSocket(board.id, creds);
    for (let i = 0; i <= LIMITS.MAX_YJS_EARLY_MESSAGES; i++)
      raw.ws.send(syncStep1Message(new Uint8Array([0])));
    expect((await raw.closed).code).toBe(YJS_CLOSE.RATE_LIMITED);
    env.held!.release('loadDocument');
  });
});

describe('[D] storage failures and races', () => {
  it('[D4] after a failed append nothing later is stored or relayed; clients are closed and resync their edits', async () => {
    await start({ heldStore: true });
    const board = await env.createBoard();
    const a = await env.provider(board.id);
    const b = await env.provider(board.id);
    env.held!.hold('appendUpdates');
    env.held!.failNext('appendUpdates');
    setMetaText(a.doc, 'title', 'first, lost by the store');
    await waitFor(() => env.held!.waitingOn('appendUpdates') === 1, 'first append waiting');
    addOption(a.doc, { id: 'fastapi', name: 'FastAPI', description: '' });
    const stored = async () => (await env.held!.real.loadDocument(board.id)).updates.length;
    const storedBefore = await stored();
    const bClosed = new Promise<number | undefined>((resolve) =>
      b.provider.once('connection-close', (e: { code: number } | null) => resolve(e?.code)),
    );
    // Reconnecting clients wait at the load of a new room until we have looked.
    env.held!.hold('loadDocument');
    env.held!.release('appendUpdates');
    // The room closed everyone (storage failed): b never received the failed edit, and
    // nothing queued after the failure was appended (no hole in the stored history).
    expect(await bClosed).toBe(YJS_CLOSE.STORAGE_FAILED);
    expect(readBoard(b.doc).title).not.toBe('first, lost by the store');
    expect(readBoard(b.doc).options.some((o) => o.id === 'fastapi')).toBe(false);
    await waitFor(
      () => env.server.yjs.loadedRoomCount === 1 && env.held!.waitingOn('loadDocument') > 0,
      'a new room loading',
    );
    expect(await stored()).toBe(storedBefore);
    env.held!.release('loadDocument');
    // The providers reconnect to a fresh room; a's edits come back from a's own copy.
    await waitFor(() => readBoard(b.doc).options.some((o) => o.id === 'fastapi'), 'b resynced', 10_000);
    await waitFor(() => readBoard(b.doc).title === 'first, lost by the store', 'title resent', 10_000);
  });

  it('[D4] a board whose load fails is forgotten (no room left behind) and loads on the next try', async () => {
    await start({ heldStore: true });
    const board = await env.createBoard();
    const creds = await env.participantCredentials(board.id);
    env.held!.failNext('loadDocument');
    const raw = rawDocSocket(docUrl(env, board.id, creds));
    expect((await raw.closed).code).toBe(YJS_CLOSE.STORAGE_FAILED);
    await waitFor(() => env.server.yjs.loadedRoomCount === 0, 'room dropped');
    const { doc } = await env.provider(board.id, { credentials: creds });
    expect(readBoard(doc).criteria).toHaveLength(12);
  });

  it('[D1] a connection accepted while its room is being evicted joins a live room: its edits are stored and relayed', async () => {
    await start({ heldStore: true });
    const board = await env.createBoard();
    const a = await env.provider(board.id);
    // Joining renders the session, which reads the live document behind its commits: join first.
    const newcomer = await env.participantCredentials(board.id, 'Newcomer');
    env.held!.hold('appendUpdates');
    setMetaText(a.doc, 'title', 'edit before leaving');
    await waitFor(() => env.held!.waitingOn('appendUpdates') === 1, 'append waiting');
    // The last client leaves: eviction waits behind the held append.
    a.provider.destroy();
    const b = await env.provider(board.id, { sync: false, credentials: newcomer });
    await waitFor(() => b.provider.wsconnected, 'b connected');
    env.held!.release('appendUpdates');
    await waitFor(() => b.provider.synced, 'b synced');
    setMetaText(b.doc, 'title', 'edit from the newcomer');
    const c = await env.provider(board.id);
    await waitFor(() => readBoard(c.doc).title === 'edit from the newcomer', 'c sees b');
    await env.restart();
    expect((await boardAsSeen(board.id)).title).toBe('edit from the newcomer');
  });
});
