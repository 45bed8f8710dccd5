import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addOption,
  getCriteria,
  getMeta,
  getNotes,
  getOptions,
  getQuestion,
  initBoardFromTemplate,
  readBoard,
  setNotes,
  updateCriterion,
  updateOption,
} from '@/lib/board-schema';
import { LIMITS } from '@/lib/limits';
import { type GuardVerdict, guardUpdate } from '@/server/doc-guard';
import { DocSeal } from '@/server/doc-seal';
import { loadTemplates } from '@/server/templates';
import { craftItem, encodeCrafted, itemIdOf } from '@/tests/helpers/yjs-craft';

/**
 * The document guard against updates a Y.Doc never writes but a hostile client can: hand-built
 * structs (tests/helpers/yjs-craft.ts), and boards that already hold content from before a rule
 * existed. Each case says what Yjs would do with the shape and what the guard answers.
 */

const BOARD = 'board-under-test';
const seal = new DocSeal(randomBytes(32));
const template = loadTemplates().get('django-vs-node')!;
/** The client id crafted updates write with (nobody owns it yet: the writer claims it). */
const C = 501;
const id = Y.createID;

let server: Y.Doc;
let owners: Map<number, string>;

beforeEach(() => {
  server = new Y.Doc();
  initBoardFromTemplate(server, template, '2026-11-29T10:00:00.000Z', seal.sealerFor(BOARD));
  owners = new Map();
});

function replica(clientID: number): Y.Doc {
  const d = new Y.Doc();
  d.clientID = clientID;
  Y.applyUpdate(d, Y.encodeStateAsUpdate(server));
  return d;
}

const diff = (d: Y.Doc) => Y.encodeStateAsUpdate(d, Y.encodeStateVector(server));

function check(update: Uint8Array, opts: { frozen?: boolean } = {}): GuardVerdict {
  return guardUpdate(update, {
    doc: server,
    writer: 'p-1',
    owners,
    structureFrozen: opts.frozen ?? false,
    verifySealed: (scope, value) => seal.verify(BOARD, scope, value),
  });
}

/** Checks, and applies to the server doc when accepted (claiming client ids like the room does). */
function submit(update: Uint8Array, opts: { frozen?: boolean } = {}): GuardVerdict {
  const verdict = check(update, opts);
  if (verdict.ok) {
    for (const c of verdict.claims) owners.set(c, 'p-1');
    Y.applyUpdate(server, update);
  }
  return verdict;
}

/** Writes straight into the server's document, past the guard: a board stored before a rule existed. */
function legacy(edit: (d: Y.Doc) => void, clientID = 600): void {
  const d = replica(clientID);
  edit(d);
  Y.applyUpdate(server, diff(d));
}

function expectRefused(verdict: GuardVerdict, refusal: string, reason: RegExp): void {
  if (verdict.ok) throw new Error('expected the update to be refused');
  expect(verdict.refusal).toBe(refusal);
  expect(verdict.reason).toMatch(reason);
}

function expectAccepted(verdict: GuardVerdict): asserts verdict is Extract<GuardVerdict, { ok: true }> {
  if (!verdict.ok) throw new Error(`expected acceptance, got ${verdict.refusal}: ${verdict.reason}`);
}

/** Accepted, and applying it leaves the board as it was (Yjs garbage-collects it on arrival). */
function expectHarmless(update: Uint8Array): void {
  const before = readBoard(server);
  expectAccepted(submit(update));
  expect(readBoard(server)).toEqual(before);
}

const any = (...values: unknown[]) => new Y.ContentAny(values);
const str = (s: string) => new Y.ContentString(s);
const map = () => new Y.ContentType(new Y.Map());
const optionId = (i = 0) => itemIdOf(getOptions(server).get(i));
const entryId = (m: Y.Map<unknown>, key: string) => m._map.get(key)!.id;
/** A new criterion (with an id and an evidence list) written by C from clock 0: the list is C:2. */
const newCriterion = () => [
  craftItem(C, 0, { parent: 'criteria' }, map()),
  craftItem(C, 1, { parent: id(C, 0), key: 'id' }, any('crafted')),
  craftItem(C, 2, { parent: id(C, 0), key: 'evidence' }, new Y.ContentType(new Y.Array())),
];

describe('[L1][L2] crafted structs: the guard places each item where Yjs will', () => {
  it('[L2] an update with a Skip struct (a hole in its clocks) is refused as a gap', () => {
    const update = encodeCrafted([
      craftItem(C, 0, { parent: 'notes' }, str('a')),
      new Y.Skip(id(C, 1), 3),
      craftItem(C, 4, { origin: id(C, 0) }, str('b')),
    ]);
    expectRefused(check(update), 'gap', /a hole in it/);
  });

  it('[L2] structs starting past the clock the server has are refused as a gap', () => {
    expectRefused(
      check(encodeCrafted([craftItem(C, 3, { parent: 'notes' }, str('a'))])),
      'gap',
      /depends on edits the server does not have/,
    );
  });

  it('[L1] items placed next to each other in a cycle are refused as malformed', () => {
    const update = encodeCrafted([
      craftItem(C, 0, { origin: id(C, 1) }, str('a')),
      craftItem(C, 1, { origin: id(C, 0) }, str('b')),
    ]);
    expectRefused(check(update), 'malformed', /in a cycle/);
  });

  it('[L2] a chain of items placed after later ones is followed to its root and checked there', () => {
    const D = 502;
    const chain = (content: Y.Item['content']) =>
      encodeCrafted([
        craftItem(C, 0, { origin: id(D, 1) }, content),
        craftItem(D, 0, { parent: 'notes' }, str('x')),
        craftItem(D, 1, { origin: id(D, 0) }, str('y')),
      ]);
    expectRefused(check(chain(any(1))), 'schema', /notes is plain text/);
    expectAccepted(submit(chain(str('z'))));
    expect(getNotes(server).toString()).toBe('xyz');
  });

  it('[L1] an item whose parent is not a shared type is refused as malformed', () => {
    const inUpdate = encodeCrafted([
      craftItem(C, 0, { parent: 'meta', key: 'title' }, any('t')),
      craftItem(C, 1, { parent: id(C, 0), key: 'name' }, any('x')),
    ]);
    expectRefused(check(inUpdate), 'malformed', /not a shared type/);
    const title = entryId(getMeta(server), 'title');
    const onServer = encodeCrafted([craftItem(C, 0, { parent: title, key: 'name' }, any('x'))]);
    expectRefused(check(onServer), 'malformed', /not a shared type/);
  });

  it('[L2] an item next to a clock of the update that does not exist is a gap', () => {
    const update = encodeCrafted([
      craftItem(C, 0, { parent: 'notes' }, str('a')),
      craftItem(C, 1, { origin: id(C, 5) }, str('b')),
    ]);
    expectRefused(check(update), 'gap', /next to an edit the server does not have/);
  });

  it('[L1] bytes that do not decode are refused as malformed, and said so', () => {
    expectRefused(check(new Uint8Array([1, 2, 3, 255])), 'malformed', /cannot be decoded/);
  });

  it('[D12] writing with a client id someone owns, or that has content nobody owns, is refused and said so', () => {
    owners.set(C, 'someone-else');
    expectRefused(
      check(encodeCrafted([craftItem(C, 0, { parent: 'notes' }, str('a'))])),
      'foreign-client',
      /belongs to someone else/,
    );
    const template = [...server.store.clients.keys()][0]!;
    const next = Y.getState(server.store, template);
    expectRefused(
      check(encodeCrafted([craftItem(template, next, { parent: 'notes' }, str('a'))])),
      'foreign-client',
      /edits from before it had an owner/,
    );
  });

  it('[L4] on a board whose notes were never written, all new notes items count together', () => {
    server = new Y.Doc();
    const half = LIMITS.MAX_NOTES_CHARS / 2;
    const two = (extra: string) =>
      encodeCrafted([
        craftItem(C, 0, { parent: 'notes' }, str('a'.repeat(half))),
        craftItem(C, half, { origin: id(C, half - 1) }, str(`${'b'.repeat(half)}${extra}`)),
      ]);
    expectAccepted(check(two('')));
    expectRefused(check(two('c')), 'schema', /characters of notes/);
  });

  it('[L2] an item written into a type the server does not have is a gap', () => {
    const update = encodeCrafted([craftItem(C, 0, { parent: id(777, 0), key: 'name' }, any('x'))]);
    expectRefused(check(update), 'gap', /a type the server does not have/);
  });

  it('[L2] an item placed next to an edit the server does not have is a gap, on either side', () => {
    const q = getQuestion(server)._start!.id;
    expectRefused(
      check(encodeCrafted([craftItem(C, 0, { origin: id(777, 0) }, str('a'))])),
      'gap',
      /next to an edit the server does not have/,
    );
    expectRefused(
      check(encodeCrafted([craftItem(C, 0, { origin: q, rightOrigin: id(777, 0) }, str('a'))])),
      'gap',
      /next to an edit/,
    );
  });

  describe('garbage-collected structs make what is placed in or next to them garbage too', () => {
    const G = 88;
    beforeEach(() => {
      Y.applyUpdate(server, encodeCrafted([new Y.GC(id(G, 0), 2)]));
    });

    it('[L2] an item in a collected type is harmless and accepted', () => {
      expectHarmless(encodeCrafted([craftItem(C, 0, { parent: id(G, 0), key: 'x' }, any(1))]));
    });

    it('[L2] an item after a collected one, or before one, is harmless whatever it holds', () => {
      const q = getQuestion(server)._start!.id;
      expectHarmless(encodeCrafted([craftItem(C, 0, { origin: id(G, 1) }, any({ x: 1 }))]));
      expectHarmless(encodeCrafted([craftItem(C, 1, { origin: q, rightOrigin: id(G, 0) }, any(1))]));
      expectHarmless(encodeCrafted([craftItem(C, 2, { origin: id(G, 0), rightOrigin: q }, any(1))]));
    });

    it('[L2] the unknown tail of a collected item is harmless where its own place is gone too', () => {
      owners.set(G, 'p-1');
      expectHarmless(encodeCrafted([craftItem(G, 0, { parent: id(G, 0), key: 'x' }, any(1, 2, 3))]));
      expectHarmless(encodeCrafted([craftItem(G, 1, { origin: id(G, 0) }, any(1, 2, 3))]));
    });

    it('[L1] the unknown tail of a collected item that names a live place is refused (Yjs cannot integrate it)', () => {
      owners.set(G, 'p-1');
      const update = encodeCrafted([craftItem(G, 0, { parent: 'meta', key: 'title' }, any(1, 2, 3))]);
      expectRefused(check(update), 'malformed', /somewhere else than where it is/);
      expect(() => Y.applyUpdate(server, update)).toThrow();
    });
  });

  it('[L3] the tail of a notes edit resent as a server-only key is refused (Yjs would link it into both)', () => {
    const L = 78;
    Y.applyUpdate(server, encodeCrafted([craftItem(L, 0, { parent: 'notes' }, str('a'))]));
    owners.set(L, 'p-1');
    const update = encodeCrafted([craftItem(L, 0, { parent: 'meta', key: 'templateId' }, str('ab'))]);
    // What Yjs does with it: the tail becomes meta.templateId.
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(server));
    Y.applyUpdate(copy, update);
    expect(getMeta(copy).get('templateId')).toBe('b');
    expectRefused(check(update), 'malformed', /somewhere else than where it is/);
    // Resent where it is, with the tail after a neighbour the update itself brings, it is fine.
    const D = 503;
    const fine = encodeCrafted([
      craftItem(D, 0, { origin: id(L, 1) }, str('c')),
      craftItem(L, 0, { parent: 'notes' }, str('ab')),
    ]);
    expectAccepted(submit(fine));
    expect(getNotes(server).toString()).toBe('abc');
  });

  it.each<[string, string | undefined]>([
    ['another key of the same map', 'status'],
    ['another list without a key', undefined],
  ])('[L3] the tail of a known edit resent under %s is refused', (_what, key) => {
    const L = 79;
    Y.applyUpdate(
      server,
      encodeCrafted([
        key === undefined
          ? craftItem(L, 0, { parent: 'notes' }, str('n'))
          : craftItem(L, 0, { parent: 'meta', key: 'title' }, any('t')),
      ]),
    );
    owners.set(L, 'p-1');
    const update =
      key === undefined
        ? encodeCrafted([craftItem(L, 0, { parent: 'question' }, str('nq'))])
        : encodeCrafted([craftItem(L, 0, { parent: 'meta', key }, any('t', 'u'))]);
    expectRefused(check(update), 'malformed', /somewhere else than where it is/);
  });

  it('[L2][D12] only the unknown tail of a partly known item is checked, and only new clocks count as written', () => {
    const L = 77;
    // Stored before the safety rule: a title with a bidi override, written by L.
    Y.applyUpdate(
      server,
      encodeCrafted([craftItem(L, 0, { parent: 'meta', key: 'title' }, any('old\u202E'))]),
    );
    owners.set(L, 'p-1');
    const resend = encodeCrafted([craftItem(L, 0, { parent: 'meta', key: 'title' }, any('old\u202E'))]);
    const known = check(resend);
    expectAccepted(known);
    expect(known.touched).toEqual([]);
    const tail = (value: unknown) =>
      encodeCrafted([craftItem(L, 0, { parent: 'meta', key: 'title' }, any('old\u202E', value))]);
    expectRefused(check(tail(42)), 'schema', /meta\.title must be text/);
    const verdict = submit(tail('new'));
    expectAccepted(verdict);
    expect(verdict).toMatchObject({ touched: [L], claims: [] });
    expect(Y.getState(server.store, L)).toBe(2);
  });
});

describe('[L2] crafted structs: each place takes only what the schema allows there', () => {
  it.each<[string, () => Uint8Array, RegExp]>([
    [
      'a list entry in meta',
      () => encodeCrafted([craftItem(C, 0, { parent: 'meta' }, any('x'))]),
      /meta takes keys, not a list/,
    ],
    [
      'a list entry in an option',
      () => encodeCrafted([craftItem(C, 0, { parent: optionId() }, any('x'))]),
      /option takes keys, not a list/,
    ],
    [
      'a key inherited by every object (toString) in meta',
      () => encodeCrafted([craftItem(C, 0, { parent: 'meta', key: 'toString' }, any('x'))]),
      /meta has no key "toString"/,
    ],
    [
      'a keyed entry in the options list',
      () => encodeCrafted([craftItem(C, 0, { parent: 'options', key: 'x' }, map())]),
      /options is a list/,
    ],
    [
      'a keyed entry in the criteria list',
      () => encodeCrafted([craftItem(C, 0, { parent: 'criteria', key: 'x' }, map())]),
      /criteria is a list/,
    ],
    [
      'a list in the options list',
      () => encodeCrafted([craftItem(C, 0, { parent: 'options' }, new Y.ContentType(new Y.Array()))]),
      /options holds maps only/,
    ],
    [
      'a text in the criteria list',
      () => encodeCrafted([craftItem(C, 0, { parent: 'criteria' }, new Y.ContentType(new Y.Text()))]),
      /criteria holds maps only/,
    ],
    [
      'a new option without an id',
      () =>
        encodeCrafted([
          craftItem(C, 0, { parent: 'options' }, map()),
          craftItem(C, 1, { parent: id(C, 0), key: 'name' }, any('x')),
        ]),
      /a new option needs an id/,
    ],
    [
      'a new criterion without an id',
      () =>
        encodeCrafted([
          craftItem(C, 0, { parent: 'criteria' }, map()),
          craftItem(C, 1, { parent: id(C, 0), key: 'name' }, any('x')),
        ]),
      /a new criterion needs an id/,
    ],
    [
      'a new option whose only entry is a removed name',
      () =>
        encodeCrafted([
          craftItem(C, 0, { parent: 'options' }, map()),
          craftItem(C, 1, { parent: id(C, 0), key: 'name' }, new Y.ContentDeleted(1)),
        ]),
      /a new option needs an id/,
    ],
    [
      'a new criterion whose evidence is shared text',
      () =>
        encodeCrafted([
          ...newCriterion().slice(0, 2),
          craftItem(C, 2, { parent: id(C, 0), key: 'evidence' }, new Y.ContentType(new Y.Text())),
        ]),
      /criterion\.evidence must be a list/,
    ],
    [
      'a new option whose id is removed again in the same update',
      () =>
        encodeCrafted([
          craftItem(C, 0, { parent: 'options' }, map()),
          craftItem(C, 1, { parent: id(C, 0), key: 'id' }, any('fresh')),
          craftItem(C, 2, { origin: id(C, 1) }, new Y.ContentDeleted(1)),
        ]),
      /a new option needs an id/,
    ],
    [
      'an option name as shared text content',
      () => encodeCrafted([craftItem(C, 0, { parent: optionId(), key: 'name' }, str('x'))]),
      /option\.name must be a plain value/,
    ],
    [
      'a new criterion whose evidence is a map',
      () =>
        encodeCrafted([
          ...newCriterion().slice(0, 2),
          craftItem(C, 2, { parent: id(C, 0), key: 'evidence' }, map()),
        ]),
      /criterion\.evidence must be a list/,
    ],
    [
      'a new criterion whose evidence is a plain value',
      () =>
        encodeCrafted([
          ...newCriterion().slice(0, 2),
          craftItem(C, 2, { parent: id(C, 0), key: 'evidence' }, any([])),
        ]),
      /criterion\.evidence must be a list/,
    ],
    [
      'text in a new evidence list',
      () => encodeCrafted([...newCriterion(), craftItem(C, 3, { parent: id(C, 2) }, str('claim'))]),
      /evidence entries are plain values/,
    ],
    [
      'a keyed entry in a new evidence list',
      () => encodeCrafted([...newCriterion(), craftItem(C, 3, { parent: id(C, 2), key: 'k' }, any(1))]),
      /evidence is a list/,
    ],
    [
      'an unsealed entry in a new evidence list',
      () => encodeCrafted([...newCriterion(), craftItem(C, 3, { parent: id(C, 2) }, any({ id: 'e' }))]),
      /evidence is written by the server/,
    ],
    [
      'a forged contested point on a new criterion',
      () =>
        encodeCrafted([
          ...newCriterion(),
          craftItem(C, 3, { parent: id(C, 0), key: 'contested' }, any({ text: 'forged' })),
        ]),
      /contested is written by the server/,
    ],
    [
      'a keyed entry in the notes',
      () => encodeCrafted([craftItem(C, 0, { parent: 'notes', key: 'k' }, str('x'))]),
      /the notes is text/,
    ],
    [
      'a keyed entry in the question',
      () => encodeCrafted([craftItem(C, 0, { parent: 'question', key: 'k' }, str('x'))]),
      /the question is text/,
    ],
    [
      'a plain value in the question',
      () => encodeCrafted([craftItem(C, 0, { parent: 'question' }, any('x'))]),
      /the question is plain text/,
    ],
  ])('%s is refused', (_what, build, reason) => {
    expectRefused(check(build()), 'schema', reason);
  });

  it('a refusal names a long key by its first 40 characters only', () => {
    const key = 'k'.repeat(200_000);
    const verdict = check(encodeCrafted([craftItem(C, 0, { parent: 'meta', key }, any('x'))]));
    expectRefused(verdict, 'schema', /no key "k{40}"$/);
  });

  it('[L2] deleted content (a tombstone) is accepted in the lists, the text and a new evidence list', () => {
    expectAccepted(check(encodeCrafted([craftItem(C, 0, { parent: 'options' }, new Y.ContentDeleted(2))])));
    expectAccepted(check(encodeCrafted([craftItem(C, 0, { parent: 'notes' }, new Y.ContentDeleted(3))])));
    expectAccepted(
      check(
        encodeCrafted([...newCriterion(), craftItem(C, 3, { parent: id(C, 2) }, new Y.ContentDeleted(1))]),
      ),
    );
  });

  it('[L3] a new criterion may carry no contested point (null), but not one sealed for another criterion', () => {
    expectAccepted(
      check(
        encodeCrafted([
          ...newCriterion(),
          craftItem(C, 3, { parent: id(C, 0), key: 'contested' }, any(null)),
        ]),
      ),
    );
    const sealed = getCriteria(server)
      .toArray()
      .map((c) => c.get('contested'))
      .find((v) => v !== null && v !== undefined);
    expect(sealed).toBeDefined();
    expectRefused(
      check(
        encodeCrafted([
          ...newCriterion(),
          craftItem(C, 3, { parent: id(C, 0), key: 'contested' }, any(sealed)),
        ]),
      ),
      'schema',
      /contested is written by the server \(its seal does not match\)/,
    );
  });
});

describe('[L4] limits count what stays after the update', () => {
  const MAX = LIMITS.MAX_NOTES_CHARS;
  /** Eight characters at the start of the notes, four of them deleted again (ranges unsorted, overlapping). */
  const eightMinusFour = () =>
    encodeCrafted(
      [craftItem(C, 0, { parent: 'notes' }, str('abcdefgh'))],
      [
        { client: C, clock: 5, len: 2 },
        { client: C, clock: 1, len: 2 },
        { client: C, clock: 1, len: 1 },
      ],
    );

  it('[L4] characters inserted and deleted in the same update do not count', () => {
    const d = replica(4242);
    setNotes(d, 'n'.repeat(MAX - 4));
    expectAccepted(submit(diff(d)));
    expectAccepted(submit(eightMinusFour()));
    expect(getNotes(server).length).toBe(MAX);
  });

  it('[L4] …but the ones that stay do', () => {
    const d = replica(4242);
    setNotes(d, 'n'.repeat(MAX - 3));
    expectAccepted(submit(diff(d)));
    expectRefused(check(eightMinusFour()), 'schema', /at most 4000 characters of notes/);
  });

  it('[L4] deleting part of the notes makes room for exactly as many characters', () => {
    const d = replica(4242);
    setNotes(d, 'n'.repeat(MAX));
    expectAccepted(submit(diff(d)));
    const notes = getNotes(server)._start!;
    const cut = [{ client: notes.id.client, clock: notes.id.clock + 10, len: 5 }];
    expectAccepted(check(encodeCrafted([craftItem(C, 0, { parent: 'notes' }, str('12345'))], cut)));
    expectRefused(
      check(encodeCrafted([craftItem(C, 0, { parent: 'notes' }, str('123456'))], cut)),
      'schema',
      /characters of notes/,
    );
  });

  it('[L4] on a full board an option can be replaced in one update, not added', () => {
    const d = replica(4243);
    for (let i = getOptions(d).length; i < LIMITS.MAX_OPTIONS; i++) {
      addOption(d, { id: `o${i}`, name: `O${i}`, description: '' });
    }
    expectAccepted(submit(diff(d)));
    const e = replica(4253);
    getOptions(e).delete(0, 1);
    addOption(e, { id: 'new', name: 'New', description: '' });
    expectAccepted(check(diff(e)));
    // addOption itself stops at the limit; a hostile client does not.
    const newer = new Y.Map<unknown>();
    newer.set('id', 'newer');
    getOptions(e).push([newer]);
    expectRefused(check(diff(e)), 'schema', /at most 12 options/);
  });

  it('[L4] notes already over the limit (stored before it) take edits that add nothing', () => {
    legacy((d) => getNotes(d).insert(0, 'x'.repeat(MAX + 10)));
    expectAccepted(
      check(
        encodeCrafted([craftItem(C, 0, { parent: 'notes' }, str('ab'))], [{ client: C, clock: 0, len: 2 }]),
      ),
    );
    expectRefused(check(encodeCrafted([craftItem(C, 0, { parent: 'notes' }, str('a'))])), 'schema', /notes/);
  });
});

describe('[L2][L3][R7] deletions', () => {
  it('[L3] removing a key only the server writes is refused', () => {
    const d = replica(4244);
    getMeta(d).delete('status');
    expectRefused(check(diff(d)), 'schema', /meta\.status is written by the server/);
  });

  it('[R7] removing a weight or an option is refused while frozen; removing a name is not', () => {
    const d = replica(4244);
    getCriteria(d).get(0).delete('weight');
    expectRefused(check(diff(d), { frozen: true }), 'frozen', /weights cannot change now/);
    expectAccepted(check(diff(d)));
    const e = replica(4245);
    getOptions(e).delete(0, 1);
    expectRefused(check(diff(e), { frozen: true }), 'frozen', /options cannot change now/);
    const f = replica(4246);
    getCriteria(f).get(0).delete('name');
    expectAccepted(check(diff(f), { frozen: true }));
  });

  it('[L2] a removed option may take its id with it, and a removed criterion its evidence', () => {
    const option = getOptions(server).get(0);
    const ds = (items: Y.ID[]) => items.map((i) => ({ client: i.client, clock: i.clock, len: 1 }));
    expectRefused(
      check(encodeCrafted([], ds([entryId(option, 'id')]))),
      'schema',
      /option\.id cannot be removed/,
    );
    expectAccepted(check(encodeCrafted([], ds([entryId(option, 'id'), optionId()]))));
    const criterion = getCriteria(server)
      .toArray()
      .find((c) => (c.get('evidence') as Y.Array<unknown>).length > 0)!;
    const claim = (criterion.get('evidence') as Y.Array<unknown>)._start!.id;
    expectRefused(check(encodeCrafted([], ds([claim]))), 'schema', /evidence cannot be removed/);
    expectAccepted(check(encodeCrafted([], ds([claim, itemIdOf(criterion)]))));
  });

  it('[L2] junk stored before the schema may be cleaned up, but not written to', () => {
    legacy((d) => {
      getOptions(d).get(0).set('color', 'red');
      d.getMap('junk').set('x', 1);
      getOptions(d).push([new Y.Array() as unknown as Y.Map<unknown>]);
      getCriteria(d).push([new Y.Array() as unknown as Y.Map<unknown>]);
      getCriteria(d).get(0).set('extra', new Y.Array());
    });
    const junk = entryId(getOptions(server).get(0), 'color');
    const root = entryId(server.getMap('junk'), 'x');
    expectAccepted(
      check(
        encodeCrafted(
          [],
          [
            { client: junk.client, clock: junk.clock, len: 1 },
            { client: root.client, clock: root.clock, len: 1 },
          ],
        ),
      ),
    );
    const d = replica(4247);
    d.getMap('junk').set('y', 2);
    expectRefused(check(diff(d)), 'schema', /outside the board schema/);
    const e = replica(4248);
    (getOptions(e).get(getOptions(e).length - 1) as unknown as Y.Array<unknown>).push([1]);
    expectRefused(check(diff(e)), 'schema', /outside the board schema/);
    const f = replica(4249);
    (getCriteria(f).get(0).get('extra') as Y.Array<unknown>).push([1]);
    expectRefused(check(diff(f)), 'schema', /outside the board schema/);
    const g = replica(4254);
    (getCriteria(g).get(getCriteria(g).length - 1) as unknown as Y.Array<unknown>).push([1]);
    expectRefused(check(diff(g)), 'schema', /outside the board schema/);
  });

  it('[L2] a map stored under a key of the options or criteria list is not an option or criterion', () => {
    Y.applyUpdate(
      server,
      encodeCrafted([
        craftItem(600, 0, { parent: 'options', key: 'x' }, map()),
        craftItem(600, 1, { parent: id(600, 0), key: 'id' }, any('hidden')),
        craftItem(600, 2, { parent: 'criteria', key: 'x' }, map()),
        craftItem(600, 3, { parent: id(600, 2), key: 'id' }, any('hidden')),
      ]),
    );
    for (const parent of [id(600, 0), id(600, 2)]) {
      const update = encodeCrafted([craftItem(C, 0, { parent, key: 'name' }, any('x'))]);
      expectRefused(check(update), 'schema', /outside the board schema/);
    }
  });

  it('[L2] maps and lists inside junk are junk too, whatever their key', () => {
    legacy((d) => {
      d.getArray('junk').push([new Y.Map()]);
      d.getMap('junkmap').set('evidence', new Y.Array());
      getCriteria(d).get(0).set('evidence', new Y.Map());
    });
    const a = replica(4255);
    (a.getArray('junk').get(0) as Y.Map<unknown>).set('name', 'x');
    expectRefused(check(diff(a)), 'schema', /outside the board schema/);
    const b = replica(4256);
    (b.getMap('junkmap').get('evidence') as Y.Array<unknown>).push([1]);
    expectRefused(check(diff(b)), 'schema', /outside the board schema/);
    const c = replica(4257);
    (getCriteria(c).get(0).get('evidence') as Y.Map<unknown>).set('x', 1);
    expectRefused(check(diff(c)), 'schema', /outside the board schema/);
  });

  it('[L2] ids stay unique on a board whose lists hold junk, and on a board with no lists yet', () => {
    legacy((d) => {
      getOptions(d).push([new Y.Array() as unknown as Y.Map<unknown>]);
      const noId = new Y.Map<unknown>();
      noId.set('name', 'no id');
      getOptions(d).push([noId]);
    });
    const d = replica(4250);
    addOption(d, { id: 'fresh', name: 'Fresh', description: '' });
    expectAccepted(check(diff(d)));
    const e = replica(4251);
    addOption(e, { id: getOptions(server).get(0).get('id') as string, name: 'Again', description: '' });
    expectRefused(check(diff(e)), 'schema', /already an option with the id "django"/);
    server = new Y.Doc();
    const f = replica(4252);
    addOption(f, { id: 'first', name: 'First', description: '' });
    expectAccepted(check(diff(f)));
  });
});

describe('[L2][L4] more shapes found by mutation testing', () => {
  const MAX = LIMITS.MAX_NOTES_CHARS;
  /** Notes of exactly `n` characters, written by client 4242. */
  function notesOf(n: number): void {
    const d = replica(4242);
    setNotes(d, 'n'.repeat(n));
    expectAccepted(submit(diff(d)));
  }
  /** Two items (8 characters) with deletions before, inside and across them: 4 stay. */
  const twoItemsFourStay = () =>
    encodeCrafted(
      [craftItem(C, 0, { parent: 'notes' }, str('abcd')), craftItem(C, 4, { origin: id(C, 3) }, str('efgh'))],
      [
        { client: C, clock: 6, len: 2 },
        { client: C, clock: 1, len: 1 },
        { client: C, clock: 5, len: 2 },
      ],
    );

  it('[L4] deletions in several items and overlapping ranges are each counted once, where they are', () => {
    notesOf(MAX - 4);
    expectAccepted(check(twoItemsFourStay()));
  });

  it('[L4] …and what stays of them counts', () => {
    notesOf(MAX - 3);
    expectRefused(check(twoItemsFourStay()), 'schema', /characters of notes/);
  });

  it('[L4] only the unknown tail of a partly known item counts, less what the update deletes of it', () => {
    const L = 81;
    Y.applyUpdate(server, encodeCrafted([craftItem(L, 0, { parent: 'notes' }, str('a'))]));
    owners.set(L, 'p-1');
    const update = encodeCrafted(
      [craftItem(L, 0, { parent: 'notes' }, str('abcd')), craftItem(L, 4, { origin: id(L, 3) }, str('e'))],
      [
        { client: L, clock: 3, len: 1 },
        { client: L, clock: 4, len: 1 },
      ],
    );
    const fill = (room: number) => {
      const d = replica(4242);
      getNotes(d).insert(getNotes(d).length, 'n'.repeat(MAX - getNotes(d).length - room));
      expectAccepted(submit(diff(d)));
    };
    fill(2);
    expectAccepted(check(update));
    const d = replica(4243);
    getNotes(d).insert(0, 'm');
    expectAccepted(submit(diff(d)));
    expectRefused(check(update), 'schema', /characters of notes/);
  });

  it('[L4] on a board whose notes were never written, items placed separately count together', () => {
    server = new Y.Doc();
    const half = MAX / 2;
    const two = (extra: string) =>
      encodeCrafted([
        craftItem(C, 0, { parent: 'notes' }, str('a'.repeat(half))),
        craftItem(C, half, { parent: 'notes' }, str(`${'b'.repeat(half)}${extra}`)),
      ]);
    expectAccepted(check(two('')));
    expectRefused(check(two('c')), 'schema', /characters of notes/);
  });

  it('[L4] options added before and after an edit of an existing option count together', () => {
    const d = replica(4244);
    for (let i = getOptions(d).length; i < LIMITS.MAX_OPTIONS - 1; i++) {
      addOption(d, { id: `o${i}`, name: `O${i}`, description: '' });
    }
    expectAccepted(submit(diff(d)));
    const e = replica(4245);
    addOption(e, { id: 'first', name: 'First', description: '' });
    updateOption(e, getOptions(e).get(0).get('id') as string, { name: 'Renamed' });
    const second = new Y.Map<unknown>();
    second.set('id', 'second');
    // At the start: placed by the list itself, not after the first new option.
    getOptions(e).insert(0, [second]);
    expectRefused(check(diff(e)), 'schema', /at most 12 options/);
  });

  it('[L4] deleting formatting marks (stored before the guard) frees no room in the notes', () => {
    legacy((d) => {
      getNotes(d).insert(0, 'ab');
      getNotes(d).format(0, 2, { bold: true });
      getNotes(d).insert(2, 'n'.repeat(MAX - 2));
    });
    const marks: Y.ID[] = [];
    for (let item = getNotes(server)._start; item; item = item.right) {
      if (!item.deleted && item.content instanceof Y.ContentFormat) marks.push(item.id);
    }
    expect(marks.length).toBeGreaterThan(0);
    const update = encodeCrafted(
      [craftItem(C, 0, { parent: 'notes' }, str('z'))],
      marks.map((m) => ({ client: m.client, clock: m.clock, len: 1 })),
    );
    expectRefused(check(update), 'schema', /characters of notes/);
  });

  it('[L4] the question counts what an update deletes from it', () => {
    legacy((d) => getQuestion(d).insert(0, 'q'.repeat(LIMITS.MAX_QUESTION_CHARS - getQuestion(d).length)));
    const d = replica(4246);
    getQuestion(d).delete(0, 1);
    getQuestion(d).insert(0, 'z');
    expectAccepted(check(diff(d)));
  });

  it('[L2] a garbage-collected struct sent by its writer is accepted', () => {
    const verdict = check(encodeCrafted([new Y.GC(id(C, 0), 3)]));
    expectAccepted(verdict);
    expect(verdict.claims).toEqual([C]);
  });

  it('[L2] an item may come before the new type it is written into, or the neighbour it follows', () => {
    const D = 504;
    const childFirst = encodeCrafted([
      craftItem(C, 0, { parent: id(D, 0), key: 'name' }, any('x')),
      craftItem(D, 0, { parent: 'options' }, map()),
      craftItem(D, 1, { parent: id(D, 0), key: 'id' }, any('dd')),
    ]);
    expectAccepted(submit(childFirst));
    expect(readBoard(server).options.find((o) => o.id === 'dd')?.name).toBe('x');
  });

  it('[L2] a partly known item placed after a neighbour the update brings is placed once that one is', () => {
    const L = 82;
    const D = 505;
    Y.applyUpdate(server, encodeCrafted([craftItem(L, 0, { parent: 'notes' }, str('a'))]));
    owners.set(L, 'p-1');
    const update = encodeCrafted([
      craftItem(L, 0, { origin: id(D, 0) }, str('ab')),
      craftItem(D, 0, { parent: 'notes' }, str('x')),
    ]);
    expectAccepted(check(update));
  });

  it('[L3] a partly known item needed by another is checked with its known part too', () => {
    const L = 83;
    Y.applyUpdate(server, encodeCrafted([craftItem(L, 0, { parent: 'notes' }, str('a'))]));
    owners.set(L, 'p-1');
    const update = encodeCrafted([
      craftItem(C, 0, { origin: id(L, 1) }, str('c')),
      craftItem(L, 0, { parent: 'meta', key: 'templateId' }, str('ab')),
    ]);
    expectRefused(check(update), 'malformed', /somewhere else than where it is/);
  });

  it('[L2] a type created where Yjs will collect it takes nothing', () => {
    Y.applyUpdate(server, encodeCrafted([new Y.GC(id(88, 0), 2)]));
    const update = encodeCrafted([
      craftItem(C, 0, { origin: id(88, 1) }, map()),
      craftItem(C, 1, { parent: id(C, 0), key: 'x' }, any(1)),
    ]);
    expectRefused(check(update), 'schema', /outside the board schema/);
  });

  it('[R7] a weight set where none was, or an option added, is refused while frozen, and said so', () => {
    legacy((d) => getCriteria(d).get(0).delete('weight'));
    const d = replica(4247);
    updateCriterion(d, getCriteria(d).get(0).get('id') as string, { weight: 5 });
    expectRefused(check(diff(d), { frozen: true }), 'frozen', /weights cannot change now/);
    const e = replica(4248);
    addOption(e, { id: 'late', name: 'Late', description: '' });
    expectRefused(check(diff(e), { frozen: true }), 'frozen', /options cannot change now/);
  });

  it('[L2] two new options with the same id in one update are refused', () => {
    const d = replica(4249);
    for (let i = 0; i < 2; i++) {
      const m = new Y.Map<unknown>();
      m.set('id', 'twin');
      getOptions(d).push([m]);
    }
    expectRefused(check(diff(d)), 'schema', /already an option with the id "twin"/);
  });

  it('[L2] deleting what the server never had is a gap, and said so', () => {
    expectRefused(
      check(encodeCrafted([], [{ client: 777, clock: 0, len: 1 }])),
      'gap',
      /deletes edits the server does not have/,
    );
  });

  it('[L2] a writer may delete in the same update what it inserts after its earlier edits', () => {
    expectAccepted(submit(encodeCrafted([craftItem(C, 0, { parent: 'notes' }, str('a'))])));
    expectAccepted(
      check(
        encodeCrafted([craftItem(C, 1, { origin: id(C, 0) }, str('bc'))], [{ client: C, clock: 1, len: 2 }]),
      ),
    );
  });

  it('[L2] plain values and text stored in the options list (junk) do not stop new options', () => {
    legacy((d) => {
      getOptions(d).push([{ id: 'plain' } as unknown as Y.Map<unknown>]);
      getOptions(d).push([new Y.Text('text') as unknown as Y.Map<unknown>]);
    });
    const d = replica(4250);
    addOption(d, { id: 'plain', name: 'Plain', description: '' });
    expectAccepted(check(diff(d)));
  });
});
