import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addCriterion,
  getCriteria,
  getDecision,
  getMeta,
  getNotes,
  getOptions,
  readBoard,
  setMetaText,
  setNotes,
  updateCriterion,
} from '@/lib/board-schema';
import { EVENTS } from '@/lib/protocol';
import { type DocCredentials, docUrl, TestEnv, waitFor } from '../helpers/server';
import { expectOk, joinBoard, type Member } from '../helpers/session';
import { awarenessMessage, rawDocSocket, syncStep1Message, updateMessage } from '../helpers/yjs-frames';

/**
 * [L1][D1] A seeded fuzz run against a real server: batches of random and mutated Yjs
 * updates and Socket.IO payloads from hostile clients, between honest edits and ballots.
 * After every batch the server answers /healthz, every board loads, summarizes and exports,
 * and nothing an honest client had seen committed, or was told was saved, is lost — also
 * across a restart at the end. Bounded: a fixed seed and number of batches.
 */
const SEED = 20_261_129;
const BATCHES = 10;
const ACTIONS_PER_BATCH = 20;

let env: TestEnv;
interface BoardUnderTest {
  id: string;
  viewerKey: string;
  fac: Member;
  honest: { doc: Y.Doc; credentials: DocCredentials | null };
  watcher: { doc: Y.Doc };
  hostile: DocCredentials;
  roundId: string;
  /** Ballots the server acknowledged: cell → value. */
  acked: Map<string, number>;
  /** Updates an honest client produced, as raw material for mutations. */
  samples: Uint8Array[];
}
const boards: BoardUnderTest[] = [];

beforeAll(async () => {
  env = await TestEnv.start();
  for (let i = 0; i < 2; i++) {
    const created = await env.createBoard();
    const fac = await joinBoard(env, created.id, `Fran ${i}`, { facilitatorKey: created.facilitatorKey });
    const honest = await env.provider(created.id);
    const watcher = await env.provider(created.id);
    const samples: Uint8Array[] = [];
    honest.doc.on('update', (u: Uint8Array) => samples.push(u));
    const roundId = expectOk(await fac.send(EVENTS.roundStart, { mode: 'blind' })).rounds.at(-1)!.id;
    boards.push({
      id: created.id,
      viewerKey: created.viewerKey,
      fac,
      honest,
      watcher,
      hostile: await env.participantCredentials(created.id, `Mallory ${i}`),
      roundId,
      acked: new Map(),
      samples,
    });
  }
}, 60_000);

afterAll(async () => {
  await env?.cleanup();
});

/** Hostile schema-breaking edits a replica can make (each refused by the guard). */
const HOSTILE_EDITS: ((d: Y.Doc) => void)[] = [
  (d) => getMeta(d).set('status', 'finalized'),
  (d) => getCriteria(d).get(0)?.set('weight', 'heavy'),
  (d) => getOptions(d).push([{ id: 'x' } as unknown as Y.Map<unknown>]),
  (d) => (getCriteria(d).get(0)?.get('evidence') as Y.Array<unknown> | undefined)?.push([null]),
  (d) => getDecision(d).set('chosenOptionId', { $gt: '' }),
  (d) => getNotes(d).insertEmbed(0, { a: { b: { c: [1, 2, 3] } } }),
  (d) => d.getMap('extra').set('k', 'v'),
  (d) => {
    for (let i = 0; i < 60; i++) addCriterion(d, { id: `c${i}`, name: 'x', description: '', weight: 1 });
  },
];

type Action =
  | { kind: 'bytes'; board: number; bytes: Uint8Array }
  | { kind: 'mutated'; board: number; sample: number; flips: [number, number][]; cut: number }
  | { kind: 'hostile-edit'; board: number; edit: number }
  | { kind: 'sync-flood'; board: number; count: number }
  | { kind: 'awareness'; board: number; bytes: Uint8Array }
  | { kind: 'socket'; board: number; event: string; payload: unknown }
  | { kind: 'honest-edit'; board: number; title: string; weight: number; notes: string }
  | { kind: 'honest-ballot'; board: number; criterion: number; option: number; value: number };

const EVENT_NAMES = [...Object.values(EVENTS), 'constructor', '__proto__', 'board:join '];
const boardIndex = fc.integer({ min: 0, max: 1 });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('bytes' as const),
    board: boardIndex,
    bytes: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    kind: fc.constant('mutated' as const),
    board: boardIndex,
    sample: fc.nat(),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
    cut: fc.nat({ max: 8 }),
  }),
  fc.record({
    kind: fc.constant('hostile-edit' as const),
    board: boardIndex,
    edit: fc.integer({ min: 0, max: HOSTILE_EDITS.length - 1 }),
  }),
  fc.record({
    kind: fc.constant('sync-flood' as const),
    board: boardIndex,
    count: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    kind: fc.constant('awareness' as const),
    board: boardIndex,
    bytes: fc.uint8Array({ maxLength: 200 }),
  }),
  fc.record({
    kind: fc.constant('socket' as const),
    board: boardIndex,
    event: fc.constantFrom(...EVENT_NAMES),
    payload: fc.oneof(fc.anything({ maxDepth: 3 }), fc.string({ maxLength: 3000 }), fc.constant(null)),
  }),
  fc.record({
    kind: fc.constant('honest-edit' as const),
    board: boardIndex,
    title: fc.string({ minLength: 1, maxLength: 60 }),
    weight: fc.integer({ min: 0, max: 100 }),
    notes: fc.string({ maxLength: 200 }),
  }),
  fc.record({
    kind: fc.constant('honest-ballot' as const),
    board: boardIndex,
    criterion: fc.integer({ min: 0, max: 11 }),
    option: fc.integer({ min: 0, max: 1 }),
    value: fc.integer({ min: 1, max: 5 }),
  }),
);

/** Sends frames on a participant's raw document connection, then waits until it is closed or idle. */
async function rawSend(
  b: BoardUnderTest,
  frames: Buffer[],
  credentials: DocCredentials | null,
): Promise<void> {
  const raw = rawDocSocket(docUrl(env, credentials ? b.id : b.viewerKey, credentials ?? undefined));
  try {
    await raw.opened;
  } catch {
    return; // refused at connect (e.g. rate-limited): fine
  }
  for (const f of frames) raw.ws.send(f);
  await Promise.race([raw.closed, new Promise((r) => setTimeout(r, 150))]);
  raw.ws.terminate();
}

async function run(action: Action): Promise<void> {
  const b = boards[action.board]!;
  switch (action.kind) {
    case 'bytes':
      return rawSend(b, [Buffer.from(action.bytes)], b.hostile);
    case 'mutated': {
      const sample = b.samples[action.sample % Math.max(1, b.samples.length)];
      if (!sample) return;
      const bytes = Buffer.from(sample.slice(0, Math.max(1, sample.length - action.cut)));
      for (const [at, value] of action.flips) bytes[at % bytes.length] = value;
      return rawSend(b, [updateMessage(bytes)], b.hostile);
    }
    case 'hostile-edit': {
      const evil = new Y.Doc();
      Y.applyUpdate(evil, Y.encodeStateAsUpdate(b.watcher.doc));
      const sv = Y.encodeStateVector(evil);
      HOSTILE_EDITS[action.edit]!(evil);
      return rawSend(b, [updateMessage(Y.encodeStateAsUpdate(evil, sv))], b.hostile);
    }
    case 'sync-flood':
      return rawSend(
        b,
        Array.from({ length: action.count }, () => syncStep1Message(new Uint8Array([0]))),
        null,
      );
    case 'awareness':
      return rawSend(b, [awarenessMessage(action.bytes)], b.hostile);
    case 'socket': {
      const s = env.socket();
      await new Promise<void>((resolve) => {
        const done = setTimeout(resolve, 150);
        (s.emit as (e: string, p: unknown, ack: () => void) => void)(action.event, action.payload, () => {
          clearTimeout(done);
          resolve();
        });
      });
      s.disconnect();
      return;
    }
    case 'honest-edit':
      // A round is open: structure and weights are frozen, names and notes are not.
      setMetaText(b.honest.doc, 'title', action.title);
      updateCriterion(b.honest.doc, 'cost', { description: `described ${action.weight}` });
      setNotes(b.honest.doc, action.notes);
      return;
    case 'honest-ballot': {
      const criterionId = readBoard(b.watcher.doc).criteria[action.criterion]?.id;
      const optionId = ['django', 'node'][action.option]!;
      if (!criterionId) return;
      const r = await b.fac.send(EVENTS.ballotCast, {
        roundId: b.roundId,
        criterionId,
        optionId,
        value: action.value,
      });
      if (r.ok) b.acked.set(`${criterionId}|${optionId}`, action.value);
    }
  }
}

/** True when `b` holds every (client, clock) of `a`'s state vector. */
function covers(b: Y.Doc, a: Y.Doc): boolean {
  const have = Y.decodeStateVector(Y.encodeStateVector(b));
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(a))) {
    if ((have.get(client) ?? 0) < clock) return false;
  }
  return true;
}

async function checkInvariants(): Promise<void> {
  expect((await fetch(`${env.url}/healthz`)).status).toBe(200);
  for (const b of boards) {
    // Honest edits reached the other honest client: they were committed before the relay.
    await waitFor(() => covers(b.watcher.doc, b.honest.doc), 'honest edits relayed', 10_000);
    expect((await fetch(`${env.url}/api/boards/${b.id}`)).status).toBe(200);
    expect((await fetch(`${env.url}/api/boards/${b.id}/decision.md`)).status).toBe(200);
    const fresh = await env.provider(b.id);
    expect(covers(fresh.doc, b.watcher.doc)).toBe(true);
    fresh.provider.destroy();
    const scores = await env.server.store.listScores(b.id);
    for (const [cell, value] of b.acked) {
      const [criterionId, optionId] = cell.split('|');
      const row = scores.find(
        (s) => s.participantId === b.fac.id && s.criterionId === criterionId && s.optionId === optionId,
      );
      expect(row?.value, `acknowledged ballot ${cell}`).toBe(value);
    }
  }
}

describe('[L1][D1] fuzzing a real server', () => {
  it('[L12] random and mutated Yjs updates and Socket.IO payloads never take the server down or lose anything acknowledged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(actionArb, { minLength: ACTIONS_PER_BATCH, maxLength: ACTIONS_PER_BATCH }),
        async (batch) => {
          for (const action of batch) await run(action);
          await checkInvariants();
        },
      ),
      { seed: SEED, numRuns: BATCHES, endOnFailure: true },
    );
    // And after a restart, everything acknowledged is still there.
    const before = boards.map((b) => ({ doc: b.watcher.doc }));
    await env.restart();
    for (const [i, b] of boards.entries()) {
      const fresh = await env.provider(b.id);
      expect(covers(fresh.doc, before[i]!.doc)).toBe(true);
    }
  }, 240_000);
});
