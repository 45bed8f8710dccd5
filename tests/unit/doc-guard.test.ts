import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addCriterion,
  addEvidence,
  addOption,
  findMap,
  getCriteria,
  getDecision,
  getDescription,
  getMeta,
  getNotes,
  getOptions,
  getQuestion,
  getSources,
  initBoardFromTemplate,
  migrateDescriptions,
  moveCriterion,
  readBoard,
  removeCriterion,
  removeOption,
  setDecisionField,
  setMetaText,
  setNotes,
  setQuestion,
  updateCriterion,
  updateOption,
} from '@/lib/board-schema';
import { LIMITS } from '@/lib/limits';
import { type GuardVerdict, guardUpdate } from '@/server/doc-guard';
import { DocSeal } from '@/server/doc-seal';
import { loadTemplates } from '@/server/templates';

const BOARD = 'board-under-test';
const seal = new DocSeal(randomBytes(32));
const template = loadTemplates().get('django-vs-node')!;

let server: Y.Doc;
let owners: Map<number, string>;

beforeEach(() => {
  server = new Y.Doc();
  initBoardFromTemplate(server, template, '2026-11-29T10:00:00.000Z', seal.sealerFor(BOARD));
  owners = new Map();
});

/** A participant's replica of the server's document, writing with its own client id. */
function replica(clientID = 1000 + Math.floor(Math.random() * 1e6)): Y.Doc {
  const d = new Y.Doc();
  d.clientID = clientID;
  Y.applyUpdate(d, Y.encodeStateAsUpdate(server));
  return d;
}

/**
 * A replica that writes with `clientID` although the server has edits under that id (Yjs
 * would pick a new id on sync; a hostile client keeps it on purpose).
 */
function impostor(clientID: number): Y.Doc {
  const d = new Y.Doc();
  Y.applyUpdate(d, Y.encodeStateAsUpdate(server));
  d.clientID = clientID;
  return d;
}

/** What the replica has that the server lacks: exactly what a provider would send. */
const diff = (d: Y.Doc) => Y.encodeStateAsUpdate(d, Y.encodeStateVector(server));

function check(update: Uint8Array, opts: { writer?: string; frozen?: boolean } = {}): GuardVerdict {
  return guardUpdate(update, {
    doc: server,
    writer: opts.writer ?? 'p-1',
    owners,
    structureFrozen: opts.frozen ?? false,
    verifySealed: (scope, value) => seal.verify(BOARD, scope, value),
  });
}

/** Checks, and applies to the server doc when accepted (claiming client ids like the room does). */
function submit(update: Uint8Array, opts: { writer?: string; frozen?: boolean } = {}): GuardVerdict {
  const verdict = check(update, opts);
  if (verdict.ok) {
    for (const c of verdict.claims) owners.set(c, opts.writer ?? 'p-1');
    Y.applyUpdate(server, update);
  }
  return verdict;
}

function expectRefused(verdict: GuardVerdict, refusal: string, reason?: RegExp): void {
  if (verdict.ok) throw new Error('expected the update to be refused');
  expect(verdict.refusal).toBe(refusal);
  if (reason) expect(verdict.reason).toMatch(reason);
}

function expectAccepted(verdict: GuardVerdict): void {
  if (!verdict.ok) throw new Error(`expected acceptance, got ${verdict.refusal}: ${verdict.reason}`);
}

describe('the document guard accepts what the board UI does', () => {
  it.each<[string, (d: Y.Doc) => void]>([
    [
      'rename the title and the question',
      (d) => {
        setMetaText(d, 'title', 'Backend for payments');
        setMetaText(d, 'question', 'Which one?\nThink about ops.');
      },
    ],
    [
      'rename and describe an option',
      (d) => updateOption(d, 'node', { name: 'Node.js 22', description: 'LTS' }),
    ],
    [
      'add an option and a criterion',
      (d) => {
        addOption(d, { id: 'fastapi', name: 'FastAPI', description: '' });
        addCriterion(d, { id: 'ops', name: 'Operability', description: 'How easy to run', weight: 3 });
      },
    ],
    ['change a weight', (d) => updateCriterion(d, 'cost', { weight: 7 })],
    [
      'remove an option and a criterion',
      (d) => {
        removeOption(d, 'django');
        removeCriterion(d, 'security');
      },
    ],
    [
      'move a criterion with its sealed evidence and contested point',
      (d) => moveCriterion(d, 'performance', 5),
    ],
    [
      'type and delete notes',
      (d) => {
        setNotes(d, 'We met on Monday.');
        setNotes(d, 'We met on Tuesday.');
      },
    ],
    [
      'fill the decision draft',
      (d) => {
        setDecisionField(d, 'chosenOptionId', 'node');
        setDecisionField(d, 'reason', 'it fits the team\nand the stack');
        setDecisionField(d, 'reviewDate', '2027-01-31');
      },
    ],
  ])('%s', (_what, edit) => {
    const d = replica();
    edit(d);
    expectAccepted(submit(diff(d)));
    expect(readBoard(server)).toEqual(readBoard(d));
  });

  it('[D12] a participant keeps writing with the client id it claimed, and a reconnect resends only overlap', () => {
    const d = replica(4242);
    setMetaText(d, 'title', 'first');
    const first = diff(d);
    expectAccepted(submit(first));
    expect(owners.get(4242)).toBe('p-1');
    setMetaText(d, 'title', 'second');
    expectAccepted(submit(diff(d)));
    // A duplicate of what the server has already is a no-op, not a refusal.
    expectAccepted(check(first));
    // The whole state (as a reconnecting provider may send it) passes too.
    expectAccepted(check(Y.encodeStateAsUpdate(d)));
  });

  it('text typed into the notes after a partially known update integrates from its new tail', () => {
    const d = replica(777);
    setNotes(d, 'abc');
    expectAccepted(submit(diff(d)));
    setNotes(d, 'abcdef');
    // Send everything from clock 0 of 777: the server knows the first part.
    expectAccepted(submit(Y.encodeStateAsUpdate(d, Y.encodeStateVector(new Y.Doc()))));
    expect(getNotes(server).toString()).toBe('abcdef');
  });
});

describe('the document guard refuses what breaks the schema, and says why', () => {
  it.each<[string, (d: Y.Doc) => void, RegExp]>([
    [
      'a participant writing the board status',
      (d) => getMeta(d).set('status', 'finalized'),
      /written by the server/,
    ],
    [
      'a participant rewriting createdAt',
      (d) => getMeta(d).set('createdAt', 'yesterday'),
      /written by the server/,
    ],
    ['a new root type', (d) => d.getMap('extra').set('x', 1), /outside the board schema/],
    ['an unknown key on an option', (d) => getOptions(d).get(0).set('color', 'red'), /no key "color"/],
    ['a 200 KB map key', (d) => getOptions(d).get(0).set('k'.repeat(200_000), 1), /no key/],
    ['a name that is a number', (d) => getOptions(d).get(0).set('name', 42), /must be text/],
    ['a weight that is a string', (d) => getCriteria(d).get(0).set('weight', '50'), /whole number/],
    ['a weight above the maximum', (d) => getCriteria(d).get(0).set('weight', 101), /whole number/],
    ['a fractional weight', (d) => getCriteria(d).get(0).set('weight', 2.5), /whole number/],
    [
      'an option that is not a map',
      (d) => getOptions(d).push([{ id: 'x' } as unknown as Y.Map<unknown>]),
      /maps only/,
    ],
    ['a criterion without an id', (d) => getCriteria(d).push([new Y.Map()]), /needs an id/],
    [
      'an id with spaces',
      (d) => {
        const m = new Y.Map<unknown>();
        m.set('id', 'not an id');
        getOptions(d).push([m]);
      },
      /must be an id/,
    ],
    [
      'a second option with an id already taken',
      (d) => addOption(d, { id: 'node', name: 'Node again', description: '' }),
      /already/,
    ],
    [
      'changing the id of an existing option',
      (d) => getOptions(d).get(0).set('id', 'other'),
      /cannot change/,
    ],
    ['removing the id of an existing option', (d) => getOptions(d).get(0).delete('id'), /cannot be removed/],
    [
      'null pushed into an evidence list',
      (d) => (getCriteria(d).get(0).get('evidence') as Y.Array<unknown>).push([null]),
      /evidence:add/,
    ],
    [
      'a forged evidence entry in an existing list',
      (d) => {
        (getCriteria(d).get(0).get('evidence') as Y.Array<unknown>).push([
          {
            id: 'e1',
            optionId: null,
            text: 'Django is slow',
            origin: { type: 'participant', authorName: 'Alice' },
          },
        ]);
      },
      /evidence:add/,
    ],
    [
      'removing a claim from the evidence',
      (d) => (getCriteria(d).get(0).get('evidence') as Y.Array<unknown>).delete(0, 1),
      /cannot be removed/,
    ],
    [
      'replacing the evidence list of a criterion',
      (d) => getCriteria(d).get(0).set('evidence', new Y.Array()),
      /cannot change/,
    ],
    ['chosenOptionId as an object', (d) => getDecision(d).set('chosenOptionId', { $ne: '' }), /option id/],
    ['a decision status outside the list', (d) => getDecision(d).set('status', 'approved-by-ceo'), /one of/],
    ['a review date that is not a date', (d) => getDecision(d).set('reviewDate', 'soon'), /date/],
    [
      'an embed in the notes',
      (d) => getNotes(d).insertEmbed(0, { nested: { deeper: [1, 2, 3] } }),
      /plain text/,
    ],
    [
      'formatting in the notes',
      (d) => {
        getNotes(d).insert(0, 'bold');
        getNotes(d).format(0, 4, { bold: true });
      },
      /plain text/,
    ],
    [
      'binary content in a map',
      (d) => getMeta(d).set('title', new Uint8Array([1, 2, 3]) as unknown as string),
      /plain value|must be text/,
    ],
    ['a subdocument', (d) => getMeta(d).set('title', new Y.Doc() as unknown as string), /plain value/],
    ['a sources entry', (d) => getSources(d).push([{ id: 'fake', title: 'Fake news' }]), /server/],
    ['removing a source', (d) => getSources(d).delete(0, 1), /server/],
    ['a title with a right-to-left override', (d) => getMeta(d).set('title', 'Django\u202E'), /invisible/],
    [
      'a title over its limit',
      (d) => getMeta(d).set('title', 'x'.repeat(LIMITS.MAX_TITLE_CHARS + 1)),
      /longer/,
    ],
  ])('%s', (_what, edit, reason) => {
    const before = Y.encodeStateAsUpdate(server);
    const d = replica();
    edit(d);
    expectRefused(check(diff(d)), 'schema', reason);
    expect(Y.encodeStateAsUpdate(server)).toEqual(before);
  });

  it('[L3] a server-only key is refused even where it is not set yet (no old value to replace)', () => {
    getMeta(server).delete('templateId');
    const d = replica();
    getMeta(d).set('templateId', 'blank');
    expectRefused(check(diff(d)), 'schema', /written by the server/);
  });

  it('[L3] a claim copied under another criterion is refused: its seal binds it to its criterion', () => {
    const d = replica();
    const claim = (getCriteria(d).get(0).get('evidence') as Y.Array<unknown>).get(0);
    const m = new Y.Map<unknown>();
    m.set('id', 'smuggled');
    const list = new Y.Array<unknown>();
    list.push([claim]);
    m.set('evidence', list);
    getCriteria(d).push([m]);
    expectRefused(check(diff(d)), 'schema', /seal/);
  });

  it('evidence added by the server with a seal is accepted when a browser moves its criterion', () => {
    const d = replica();
    addEvidence(
      server,
      'cost',
      {
        id: 'p1',
        optionId: 'node',
        text: 'Hosting is cheap',
        origin: { type: 'participant', authorName: 'Bo' },
      },
      seal.sealerFor(BOARD),
    );
    Y.applyUpdate(d, Y.encodeStateAsUpdate(server));
    moveCriterion(d, 'cost', 0);
    expectAccepted(submit(diff(d)));
    expect(readBoard(server).criteria[0]?.evidence.map((e) => e.id)).toContain('p1');
  });

  it('[L4] a board holds at most MAX_OPTIONS options and MAX_CRITERIA criteria', () => {
    const d = replica();
    for (let i = readBoard(d).options.length; i <= LIMITS.MAX_OPTIONS; i++) {
      const m = new Y.Map<unknown>();
      m.set('id', `o${i}`);
      getOptions(d).push([m]);
    }
    expectRefused(check(diff(d)), 'schema', /at most 12 options/);
    const e = replica();
    for (let i = 0; i < 1000; i++) {
      const m = new Y.Map<unknown>();
      m.set('id', `c${i}`);
      getCriteria(e).push([m]);
    }
    expectRefused(check(diff(e)), 'schema', /at most 40 criteria/);
  });

  it('[L4] notes longer than the limit are refused, but replacing full notes with full notes is fine', () => {
    const d = replica();
    setNotes(d, 'a'.repeat(LIMITS.MAX_NOTES_CHARS));
    expectAccepted(submit(diff(d)));
    setNotes(d, 'b'.repeat(LIMITS.MAX_NOTES_CHARS));
    expectAccepted(submit(diff(d)));
    getNotes(d).insert(0, 'c');
    expectRefused(check(diff(d)), 'schema', /characters of notes/);
  });
});

describe('structure is frozen while a round is open', () => {
  it.each<[string, (d: Y.Doc) => void]>([
    ['adding an option', (d) => addOption(d, { id: 'x', name: 'X', description: '' })],
    ['removing a criterion', (d) => removeCriterion(d, 'cost')],
    ['changing a weight', (d) => updateCriterion(d, 'cost', { weight: 9 })],
    ['moving a criterion', (d) => moveCriterion(d, 'cost', 0)],
  ])('%s is refused', (_what, edit) => {
    const d = replica();
    edit(d);
    expectRefused(check(diff(d), { frozen: true }), 'frozen');
  });

  it('renames and notes still go through', () => {
    const d = replica();
    updateCriterion(d, 'cost', { name: 'Total cost', description: 'Hosting and people' });
    setNotes(d, 'still talking');
    expectAccepted(check(diff(d), { frozen: true }));
  });
});

describe('client ids and gaps', () => {
  it("an update written with another participant's client id is refused", () => {
    const alice = replica(5005);
    setMetaText(alice, 'title', 'by alice');
    expectAccepted(submit(diff(alice), { writer: 'alice' }));
    const mallory = impostor(5005);
    setMetaText(mallory, 'title', 'by mallory');
    expectRefused(check(diff(mallory), { writer: 'mallory' }), 'foreign-client');
  });

  it('writing with a client id that has content but no owner (the template, old edits) is refused', () => {
    const d = impostor(server.clientID);
    setMetaText(d, 'title', 'hijack');
    expectRefused(check(diff(d)), 'foreign-client');
  });

  it('[L2] an update that depends on edits the server never got is refused as a gap', () => {
    const d = replica(9090);
    setMetaText(d, 'title', 'one');
    const sv = Y.encodeStateVector(d);
    setMetaText(d, 'title', 'two');
    const second = Y.encodeStateAsUpdate(d, sv);
    expectRefused(check(second), 'gap');
    expect(readBoard(server).title).toBe(template.title);
  });

  it('an update whose clocks start past what the server has (a skipped update) is refused as a gap', () => {
    const d = replica(9191);
    setMetaText(d, 'title', 'never sent');
    const sv = Y.encodeStateVector(d);
    // Notes were empty: this item needs no neighbour, only its earlier clocks.
    getNotes(d).insert(0, 'depends only on the clock');
    expectRefused(check(Y.encodeStateAsUpdate(d, sv)), 'gap');
  });

  it('deleting content the server does not have is refused as a gap', () => {
    // The replica saw notes written by client 31337; this server never got them.
    const elsewhere = replica(31337);
    setNotes(elsewhere, 'hello');
    const d = replica(31338);
    Y.applyUpdate(d, Y.encodeStateAsUpdate(elsewhere));
    getNotes(d).delete(0, 2);
    const onlyTheDeletion = Y.encodeStateAsUpdate(d, Y.encodeStateVector(elsewhere));
    expectRefused(check(onlyTheDeletion), 'gap');
  });

  it('[L1] bytes that are not an update are refused as malformed', () => {
    expectRefused(check(new Uint8Array([1, 2, 3, 255, 255, 255])), 'malformed');
    expectRefused(check(new Uint8Array([])), 'malformed');
  });
});

describe('the question as shared text', () => {
  it('[L2][D13] typing in the question is accepted, and two replicas typing at once both keep their text', () => {
    const a = replica();
    const b = replica();
    expect(readBoard(a).question).toBe(template.question);
    setMetaText(a, 'question', `Which backend: ${template.question}`);
    setMetaText(b, 'question', `${template.question} Decide by Friday.`);
    const fromA = diff(a);
    const fromB = diff(b);
    expectAccepted(submit(fromA));
    expectAccepted(submit(fromB));
    expect(readBoard(server).question).toBe(`Which backend: ${template.question} Decide by Friday.`);
  });

  it.each<[string, (d: Y.Doc) => void, RegExp]>([
    ['an embed in the question', (d) => getQuestion(d).insertEmbed(0, { x: 1 }), /plain text/],
    ['a bidi override in the question', (d) => getQuestion(d).insert(0, '\u202Eevil'), /invisible/],
    [
      'a question longer than the limit',
      (d) => getQuestion(d).insert(0, 'q'.repeat(LIMITS.MAX_QUESTION_CHARS)),
      /characters of question/,
    ],
  ])('[L2] %s is refused', (_what, edit, reason) => {
    const d = replica();
    edit(d);
    expectRefused(check(diff(d)), 'schema', reason);
  });

  it('[D13] a board from before keeps its question in meta until the first edit moves it, once', () => {
    const old = new Y.Doc();
    getMeta(old).set('question', 'Old question?');
    expect(readBoard(old).question).toBe('Old question?');
    setQuestion(old, 'Old question, edited?');
    expect(getMeta(old).get('question')).toBe('');
    expect(getQuestion(old).toString()).toBe('Old question, edited?');
    expect(readBoard(old).question).toBe('Old question, edited?');
  });
});

describe('descriptions as shared text', () => {
  const criterion = (d: Y.Doc, id = 'cost') => findMap(getCriteria(d), id)!;
  const option = (d: Y.Doc, id = 'node') => findMap(getOptions(d), id)!;

  it('[L2][D13] two replicas typing in one criterion description at once both keep their text', () => {
    const original = readBoard(server).criteria.find((c) => c.id === 'cost')!.description;
    expect(getDescription(criterion(server))).toBeInstanceOf(Y.Text);
    const a = replica();
    const b = replica();
    updateCriterion(a, 'cost', { description: `Money: ${original}` });
    updateCriterion(b, 'cost', { description: `${original} Per year.` });
    expectAccepted(submit(diff(a)));
    expectAccepted(submit(diff(b)));
    expect(readBoard(server).criteria.find((c) => c.id === 'cost')!.description).toBe(
      `Money: ${original} Per year.`,
    );
  });

  it('[D13] an option description is shared text too, and typing in it is not structure (fine in a round)', () => {
    const d = replica();
    updateOption(d, 'node', { description: 'Runs on V8' });
    updateOption(d, 'node', { description: 'Runs on V8, with npm' });
    expect(getDescription(option(d))!.toString()).toBe('Runs on V8, with npm');
    const verdict = check(diff(d), { frozen: true });
    expectAccepted(verdict);
    if (verdict.ok) expect(verdict.structure).toBe(false);
  });

  it.each<[string, (d: Y.Doc) => void, RegExp]>([
    [
      'a description longer than the limit, counted over the whole text',
      (d) => getDescription(criterion(d))!.insert(0, 'x'.repeat(LIMITS.MAX_DESCRIPTION_CHARS)),
      /description holds at most 500 characters/,
    ],
    [
      'a new criterion whose description is over the limit',
      (d) => {
        const m = new Y.Map<unknown>();
        m.set('id', 'long');
        m.set('name', 'Long');
        m.set('description', new Y.Text('x'.repeat(LIMITS.MAX_DESCRIPTION_CHARS + 1)));
        m.set('weight', 1);
        getCriteria(d).push([m]);
      },
      /description holds at most/,
    ],
    [
      'a description written as a plain string (it is shared text now)',
      (d) => criterion(d).set('description', 'last writer wins'),
      /must be shared text/,
    ],
    ['a description that is a map', (d) => option(d).set('description', new Y.Map()), /must be shared text/],
    ['a name that is shared text', (d) => option(d).set('name', new Y.Text('Node')), /plain value/],
    [
      'a bidi override in a description',
      (d) => getDescription(option(d))!.insert(0, '\u202Eevil'),
      /invisible/,
    ],
    [
      'formatting in a description',
      (d) => getDescription(criterion(d))!.format(0, 2, { bold: true }),
      /plain text/,
    ],
    [
      'an embed in a description',
      (d) => getDescription(criterion(d))!.insertEmbed(0, { x: 1 }),
      /plain text/,
    ],
  ])('[L2] %s is refused', (_what, edit, reason) => {
    const before = Y.encodeStateAsUpdate(server);
    const d = replica();
    edit(d);
    expectRefused(check(diff(d)), 'schema', reason);
    expect(Y.encodeStateAsUpdate(server)).toEqual(before);
  });

  it('[L4] a full description may be replaced by another full one (the limit is on what stays)', () => {
    const d = replica();
    updateCriterion(d, 'cost', { description: 'a'.repeat(LIMITS.MAX_DESCRIPTION_CHARS) });
    expectAccepted(submit(diff(d)));
    updateCriterion(d, 'cost', { description: 'b'.repeat(LIMITS.MAX_DESCRIPTION_CHARS) });
    expectAccepted(submit(diff(d)));
  });

  it('[D13] moving a criterion copies its description text, and undoing its removal brings it back', () => {
    const d = replica();
    updateCriterion(d, 'cost', { description: 'Hosting and people' });
    expectAccepted(submit(diff(d)));
    moveCriterion(d, 'cost', 0);
    expectAccepted(submit(diff(d)));
    expect(readBoard(server).criteria[0]).toMatchObject({ id: 'cost', description: 'Hosting and people' });
    const undo = new Y.UndoManager(getCriteria(d));
    removeCriterion(d, 'cost');
    expectAccepted(submit(diff(d)));
    expect(readBoard(server).criteria.some((c) => c.id === 'cost')).toBe(false);
    undo.undo();
    expectAccepted(submit(diff(d)));
    expect(readBoard(server).criteria.find((c) => c.id === 'cost')?.description).toBe('Hosting and people');
  });

  it('[D13] a board from before keeps its string descriptions, and migrating them keeps every word', () => {
    const old = new Y.Doc();
    const m = new Y.Map<unknown>();
    getOptions(old).push([m]);
    m.set('id', 'a');
    m.set('name', 'A');
    m.set('description', 'Old option text');
    const c = new Y.Map<unknown>();
    getCriteria(old).push([c]);
    c.set('id', 'c');
    c.set('name', 'C');
    c.set('description', 'Old criterion text');
    c.set('weight', 2);
    expect(readBoard(old).options[0]!.description).toBe('Old option text');
    expect(readBoard(old).criteria[0]!.description).toBe('Old criterion text');
    expect(migrateDescriptions(old)).toBe(true);
    expect(getDescription(m)!.toString()).toBe('Old option text');
    expect(getDescription(c)!.toString()).toBe('Old criterion text');
    expect(migrateDescriptions(old)).toBe(false);
  });

  it('[L3] the history and the removed criteria are written by the server only', () => {
    for (const edit of [
      (d: Y.Doc) => d.getArray('history').push([{ at: 'now', who: 'Mallory', kind: 'criterion-removed' }]),
      (d: Y.Doc) => d.getArray('removedCriteria').push([{ criterion: { id: 'x' } }]),
    ]) {
      const d = replica();
      edit(d);
      expectRefused(check(diff(d)), 'schema', /written by the server/);
    }
  });
});
