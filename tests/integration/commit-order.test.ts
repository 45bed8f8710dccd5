import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readBoard, setMetaText } from '@/lib/board-schema';
import { type DocSavedPayload, EVENTS } from '@/lib/protocol';
import { TestEnv, waitFor } from '../helpers/server';
import { joinBoard, type Member } from '../helpers/session';

/**
 * The order of commit, relay, sync reply and `doc:saved`, driven step by step with the real
 * SQLite store behind a hand that holds its appends (tests/helpers/held-store.ts).
 */
let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start({}, { heldStore: true });
});
afterEach(async () => {
  await env.cleanup();
});

const held = () => env.held!;

/**
 * A round trip on a member's socket that touches no board state (a second join is refused at
 * once): everything the server emitted to that socket before has arrived when it resolves.
 */
async function roundTrip(member: Member): Promise<void> {
  const r = await member.send(EVENTS.boardJoin, { as: 'viewer', viewerKey: 'A'.repeat(22) });
  expect(r.ok).toBe(false);
}
/** Lets pending I/O and timers of a few event-loop turns run (no assertion on time). */
const turns = async (n = 10) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('[D] nothing is seen before it is committed', () => {
  it('[D1] an edit reaches other clients only after its append committed', async () => {
    const board = await env.createBoard();
    const a = await env.provider(board.id);
    const b = await env.provider(board.id);
    held().hold('appendUpdates');
    setMetaText(a.doc, 'title', 'held edit');
    await waitFor(() => held().waitingOn('appendUpdates') === 1, 'append waiting');
    await turns();
    expect(readBoard(b.doc).title).not.toBe('held edit');
    held().release('appendUpdates');
    await waitFor(() => readBoard(b.doc).title === 'held edit', 'relayed after commit');
  });

  it('[D2] a sync reply never contains uncommitted state: a newcomer waits behind the pending commit', async () => {
    const board = await env.createBoard();
    const a = await env.provider(board.id);
    const newcomer = await env.participantCredentials(board.id, 'Newcomer');
    held().hold('appendUpdates');
    setMetaText(a.doc, 'title', 'not yet durable');
    await waitFor(() => held().waitingOn('appendUpdates') === 1, 'append waiting');
    const c = await env.provider(board.id, { sync: false, credentials: newcomer });
    await waitFor(() => c.provider.wsconnected, 'newcomer connected');
    await turns();
    expect(c.provider.synced).toBe(false);
    expect(readBoard(c.doc).title).not.toBe('not yet durable');
    held().release('appendUpdates');
    await waitFor(() => c.provider.synced, 'newcomer synced');
    expect(readBoard(c.doc).title).toBe('not yet durable');
  });

  it('[D3] doc:saved covers an edit only after its append committed', async () => {
    const board = await env.createBoard();
    const member = await joinBoard(env, board.id, 'Watcher');
    const saved = new Map<number, number>();
    member.socket.on(EVENTS.docSaved, (p: DocSavedPayload) => {
      for (const [c, clock] of Object.entries(p.stateVector))
        saved.set(Number(c), Math.max(clock, saved.get(Number(c)) ?? 0));
    });
    const a = await env.provider(board.id);
    held().hold('appendUpdates');
    setMetaText(a.doc, 'title', 'saved only when stored');
    const clock = Y.getState(a.doc.store, a.doc.clientID);
    await waitFor(() => held().waitingOn('appendUpdates') === 1, 'append waiting');
    // Send whatever notice is pending now, then a round trip on the same socket: anything
    // emitted before the answer has arrived (Socket.IO keeps a socket's order).
    env.server.session.flushSaved(board.id);
    await roundTrip(member);
    expect(saved.get(a.doc.clientID) ?? 0).toBeLessThan(clock);
    held().release('appendUpdates');
    await waitFor(() => (saved.get(a.doc.clientID) ?? 0) >= clock, 'doc:saved after commit');
    // And the stored document really has it.
    expect((await held().real.loadDocument(board.id)).updates.length).toBeGreaterThan(1);
  });

  it('[D4] when an append fails, the edit is never relayed nor reported saved', async () => {
    const board = await env.createBoard();
    const member = await joinBoard(env, board.id, 'Watcher');
    const savedClients = new Set<number>();
    member.socket.on(EVENTS.docSaved, (p: DocSavedPayload) => {
      for (const c of Object.keys(p.stateVector)) savedClients.add(Number(c));
    });
    const a = await env.provider(board.id);
    const b = await env.provider(board.id);
    held().hold('appendUpdates');
    held().failNext('appendUpdates');
    held().hold('loadDocument'); // no new room until we looked
    setMetaText(a.doc, 'title', 'the store will fail this');
    await waitFor(() => held().waitingOn('appendUpdates') === 1, 'append waiting');
    const bClosed = new Promise((resolve) => b.provider.once('connection-close', resolve));
    held().release('appendUpdates');
    await bClosed;
    env.server.session.flushSaved(board.id);
    await roundTrip(member);
    expect(readBoard(b.doc).title).not.toBe('the store will fail this');
    expect(savedClients.has(a.doc.clientID)).toBe(false);
    held().release('loadDocument');
  });
});
