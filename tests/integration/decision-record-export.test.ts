import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import {
  readBoard,
  setDecisionField,
  setDecisionStatus,
  setMetaText,
  setNotes,
  updateCriterion,
  updateOption,
} from '@/lib/board-schema';
import type { BoardSnapshot } from '@/lib/board-types';
import { EVENTS } from '@/lib/protocol';
import { type MdNode, nodesOfType, parse, splitFrontMatter, textOf } from '../helpers/markdown';
import { TestEnv, waitFor } from '../helpers/server';
import {
  DEFAULT_CRITERIA,
  DEFAULT_OPTIONS,
  expectOk,
  joinBoard,
  scoreAll,
  startRound,
} from '../helpers/session';

const ROOT = path.resolve(import.meta.dirname, '../..');

let env: TestEnv;
beforeEach(async () => {
  env = await TestEnv.start();
});
afterEach(async () => {
  await env.cleanup();
});

// ---------------------------------------------------------------------------------------------
// The default template (lib/templates/django-vs-node.json)
// ---------------------------------------------------------------------------------------------

const TEMPLATE_TITLE = 'Django or Node.js for our backend';
const SOURCE_TITLES = [
  'Node.js vs. Django: Backend Framework Showdown',
  'Unveiling the Backend Titans: A Deep Dive into Django and Node.js',
  'Node.js vs. Django: Which is More Suitable for Your Backend Development?',
  'Python Django vs Node JS',
  "Python's Django vs. Node.js - The Battle for the Best Backend Framework for Scaling",
];

// ---------------------------------------------------------------------------------------------
// Markdown inspection (same approach as tests/unit/decision-record.test.ts)
// ---------------------------------------------------------------------------------------------

/** What a reader sees of one line of user text: whitespace collapsed, trimmed. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

interface ParsedRecord {
  markdown: string;
  fields: Map<string, string>;
  root: MdNode;
}

/** Splits off and reads the YAML front matter. */
function readRecord(markdown: string): ParsedRecord {
  const { fields, body } = splitFrontMatter(markdown);
  return { markdown, fields, root: parse(body) };
}

function headings(root: MdNode): string[] {
  return nodesOfType(root, 'heading').map((h) => `${'#'.repeat(h.depth ?? 0)} ${textOf(h)}`);
}

/**
 * The top-level blocks after the heading `title` (e.g. "## More Information") up to the next
 * heading of depth <= `stopAtDepth` (default: the heading's own depth).
 */
function section(root: MdNode, title: string, stopAtDepth?: number): MdNode[] {
  const blocks = root.children ?? [];
  const start = blocks.findIndex(
    (b) => b.type === 'heading' && `${'#'.repeat(b.depth ?? 0)} ${textOf(b)}` === title,
  );
  expect(start, `heading ${title}`).toBeGreaterThanOrEqual(0);
  const limit = stopAtDepth ?? blocks[start]!.depth ?? 6;
  const out: MdNode[] = [];
  for (const b of blocks.slice(start + 1)) {
    if (b.type === 'heading' && (b.depth ?? 0) <= limit) break;
    out.push(b);
  }
  return out;
}

/** Paragraph texts of the blocks right under a heading, before any further heading. */
function openingParagraphs(root: MdNode, title: string): string[] {
  return section(root, title, 6)
    .filter((b) => b.type === 'paragraph')
    .map(textOf);
}

/** Every table row has as many cells as its header; returns the tables. */
function expectTablesWellFormed(root: MdNode): MdNode[] {
  const tables = nodesOfType(root, 'table');
  for (const t of tables) {
    const rows = t.children ?? [];
    const width = rows[0]?.children?.length ?? 0;
    expect(width).toBeGreaterThan(0);
    for (const row of rows) expect(row.children?.length, `row "${textOf(row)}"`).toBe(width);
  }
  return tables;
}

function tableHeader(table: MdNode): string[] {
  return (table.children?.[0]?.children ?? []).map(textOf);
}

function tableRows(table: MdNode): string[][] {
  return (table.children ?? []).slice(1).map((row) => (row.children ?? []).map(textOf));
}

// ---------------------------------------------------------------------------------------------
// Driving a board with real clients
// ---------------------------------------------------------------------------------------------

async function fetchRecord(urlPath: string): Promise<{ res: Response; body: string }> {
  const res = await fetch(`${env.url}${urlPath}`);
  return { res, body: await res.text() };
}

async function recordOf(boardId: string): Promise<ParsedRecord> {
  const { res, body } = await fetchRecord(`/api/boards/${boardId}/decision.md`);
  expect(res.status).toBe(200);
  return readRecord(body);
}

/**
 * Three people score a round and it is revealed: Django leads (the facilitator and the first
 * participant prefer it, the second prefers Node.js).
 */
async function playRound(
  boardId: string,
  facilitatorKey: string,
  names: [string, string, string] = ['Fran', 'Alice', 'Bob'],
  rationales: [string, string, string] = ['', 'Batteries included admin', 'One language everywhere'],
  options: { anonymous?: boolean } = {},
) {
  const fac = await joinBoard(env, boardId, names[0], { facilitatorKey });
  const alice = await joinBoard(env, boardId, names[1]);
  const bob = await joinBoard(env, boardId, names[2]);
  if (options.anonymous) expectOk(await fac.send(EVENTS.boardSetAnonymous, { enabled: true }));
  const roundId = await startRound(fac);
  await scoreAll(fac, roundId, (_c, o) => (o === 'django' ? 4 : 2), rationales[0]);
  await scoreAll(alice, roundId, (_c, o) => (o === 'django' ? 5 : 3), rationales[1]);
  await scoreAll(bob, roundId, (_c, o) => (o === 'django' ? 2 : 4), rationales[2]);
  expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
  return { fac, alice, bob, roundId };
}

/** Waits until the server's live copy of the board document satisfies `check`. */
async function serverSees(boardId: string, check: (b: BoardSnapshot) => boolean, what: string) {
  await waitFor(() => {
    const room = env.server.yjs.loadedRoom(boardId);
    return room !== undefined && check(readBoard(room.doc));
  }, `server sees ${what}`);
}

const LEADING = (name: string) =>
  new RegExp(
    `^Leading option: "${name}" \\(not yet chosen\\): it leads the weighted consensus matrix with ` +
      '\\d\\.\\d\\d of 5(, \\d\\.\\d\\d ahead of the next option)?\\. The facilitator has not finalized the decision\\.$',
  );

/** Fills the decision draft as the facilitator would, through the document. */
function fillDraft(doc: Y.Doc): void {
  setDecisionField(doc, 'reason', 'it fits our Python team and the data-heavy roadmap');
  setDecisionField(doc, 'consequencesGood', 'Admin screens come for free\nMature ORM and migrations');
  setDecisionField(doc, 'consequencesBad', 'Real-time features need Channels');
  setDecisionField(doc, 'confirmation', 'An architecture review in the first sprint confirms the choice.');
  setDecisionField(doc, 'decisionMakers', 'Fran\nAlice');
  setDecisionField(doc, 'reviewDate', '2027-06-30');
  setDecisionStatus(doc, 'accepted');
}

type ExecResult = { code: number; stdout: string; stderr: string };

/** Runs `npm run export` (as tsx scripts/export.ts) with DATA_DIR and optional PUBLIC_URL. */
function runExport(args: string[], vars: Record<string, string | undefined>): Promise<ExecResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.PUBLIC_URL;
  delete childEnv.DATA_DIR;
  for (const [k, v] of Object.entries(vars)) if (v !== undefined) childEnv[k] = v;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/export.ts', ...args],
      { cwd: ROOT, env: childEnv, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------

describe('GET /api/boards/<id>/decision.md', () => {
  it('[M3] before any round: a proposed Markdown attachment named after the title, with no chosen option', async () => {
    const board = await env.createBoard();
    const { res, body } = await fetchRecord(`/api/boards/${board.id}/decision.md`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    const record = readRecord(body);
    const date = record.fields.get('date');
    expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(date).toBe(new Date().toISOString().slice(0, 10));
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="${date}-django-or-node-js-for-our-backend.md"`,
    );
    expect(record.fields.get('status')).toBe('proposed');
    expect(headings(record.root)[0]).toBe(`# ${TEMPLATE_TITLE}`);
    expect(openingParagraphs(record.root, '## Decision Outcome')).toEqual([
      'No option leads yet: nothing has been scored.',
    ]);
    expect(body).not.toMatch(/Chosen option/);
    expect(body).not.toMatch(/Leading option/);
    expect(openingParagraphs(record.root, '### Consensus matrix')).toEqual([
      'Nothing has been scored yet: no round has been revealed.',
    ]);
  });

  it('[M3] after a revealed round, before finalizing: still proposed, and the leader is LEADING, not chosen', async () => {
    const board = await env.createBoard();
    await playRound(board.id, board.facilitatorKey);
    const record = await recordOf(board.id);
    expect(record.fields.get('status')).toBe('proposed');
    const opening = openingParagraphs(record.root, '## Decision Outcome');
    expect(opening[0]).toMatch(LEADING('Django'));
    expect(record.markdown).not.toMatch(/Chosen option/);
    expect(record.markdown).not.toMatch(/The decision draft proposes/);
    // The matrix is there, and names the leader.
    const tables = expectTablesWellFormed(record.root);
    expect(tables.length).toBeGreaterThanOrEqual(3);
    expect(tableRows(tables[0]!).map((r) => r[0])).toEqual(['Django (leader)', 'Node.js']);
  });

  it('[M3] after the facilitator fills the draft and finalizes: accepted, the leader chosen with the reason, matrix, rationale, review date and sources', async () => {
    const board = await env.createBoard();
    const { fac } = await playRound(board.id, board.facilitatorKey);
    const { doc } = await env.provider(board.id);
    fillDraft(doc);
    await serverSees(
      board.id,
      (b) => b.decision.status === 'accepted' && b.decision.reviewDate === '2027-06-30',
      'the draft',
    );
    // The draft alone does not make the record accepted.
    expect((await recordOf(board.id)).fields.get('status')).toBe('proposed');

    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    const record = await recordOf(board.id);
    const { fields, root, markdown } = record;

    expect(fields.get('status')).toBe('accepted');
    expect(fields.get('decision-makers')).toBe('Fran, Alice');
    const opening = openingParagraphs(root, '## Decision Outcome');
    expect(opening[0]).toBe(
      'Chosen option: "Django", because it fits our Python team and the data-heavy roadmap.',
    );
    expect(markdown).not.toMatch(/not yet chosen/);
    expect(markdown).not.toMatch(/Note: the weighted consensus matrix was led by/);

    const consequences = section(root, '### Consequences')
      .filter((b) => b.type === 'list')
      .flatMap((l) => (l.children ?? []).map(textOf));
    expect(consequences).toEqual([
      'Good, because Admin screens come for free',
      'Good, because Mature ORM and migrations',
      'Bad, because Real-time features need Channels',
    ]);
    expect(openingParagraphs(root, '### Confirmation')).toEqual([
      'An architecture review in the first sprint confirms the choice.',
    ]);

    // The consensus matrix tables under More Information, every row as wide as its header.
    const more = section(root, '## More Information');
    const matrix = section(root, '### Consensus matrix').filter((b) => b.type === 'table');
    expect(matrix).toHaveLength(3);
    for (const t of matrix) expect(more).toContain(t);
    expectTablesWellFormed({ type: 'root', children: more });
    expectTablesWellFormed(root);
    const [totals, cells, people] = matrix as [MdNode, MdNode, MdNode];
    expect(tableHeader(totals)).toEqual(['Option', 'Weighted total', 'Coverage', 'Preferred by']);
    expect(tableRows(totals).map((r) => [r[0], r[3]])).toEqual([
      ['Django (leader)', '2 of 3'],
      ['Node.js', '1 of 3'],
    ]);
    expect(tableHeader(cells)).toEqual([
      'Criterion',
      'Option',
      'Scores',
      'Median',
      'Spread (min–max)',
      'SD',
      'Agreement (r_wg)',
    ]);
    expect(tableRows(cells)).toHaveLength(DEFAULT_CRITERIA.length * DEFAULT_OPTIONS.length);
    expect(tableRows(cells).every((r) => r[2] === '3')).toBe(true);
    expect(tableRows(cells)[0]!.slice(0, 5)).toEqual(['Performance', 'Django', '3', '4.00', '2–5']);
    expect(tableHeader(people)).toEqual(['Participant', 'Preferred option', 'Django', 'Node.js', 'Scored']);
    expect(
      tableRows(people)
        .map((r) => [r[0], r[1], r[4]])
        .sort(),
    ).toEqual([
      ['Alice', 'Django', '100%'],
      ['Bob', 'Node.js', '100%'],
      ['Fran', 'Django', '100%'],
    ]);

    // The participants' rationale.
    // The first list under the option is its arguments (a second one holds the template's evidence).
    const django = (section(root, '### Django').find((b) => b.type === 'list')?.children ?? []).map(textOf);
    expect(django).toHaveLength(DEFAULT_CRITERIA.length);
    for (const item of django) {
      expect(item).toContain('Alice gave 5: "Batteries included admin"');
      expect(item).toContain('Bob gave 2: "One language everywhere"');
    }
    // Dissent names Bob and quotes his reasons.
    const dissent = section(root, '### Dissent');
    expect(dissent.map(textOf).join('\n')).toMatch(
      /Bob preferred "Node\.js" \(their weighted totals: 4\.00 vs 2\.00 for "Django"\)/,
    );

    expect(openingParagraphs(root, '### Review')).toEqual(['Review this decision by 2027-06-30.']);

    const sources = section(root, '### Sources').filter((b) => b.type === 'list');
    expect(sources).toHaveLength(1);
    const items = sources[0]!.children ?? [];
    expect(items).toHaveLength(SOURCE_TITLES.length);
    // The template's sources carry no addresses: the title, then publisher or date when known.
    expect(items.map(textOf)).toEqual([
      SOURCE_TITLES[0],
      SOURCE_TITLES[1],
      `${SOURCE_TITLES[2]} — 2026-02-22`,
      `${SOURCE_TITLES[3]} — PLANEKS`,
      `${SOURCE_TITLES[4]} — Site24x7`,
    ]);

    // The board link is the read-only viewer link, never the board id.
    expect(markdown).toContain(`Board (read-only): <${env.url}/v/${board.viewerKey}>`);
    expect(markdown).not.toContain(board.id);
    expect(markdown).not.toContain(board.facilitatorKey);
  });

  it('[P4] an anonymous round: no display name appears in the record, not even after anonymity is switched off, and evidence is never attributed to a pseudonym', async () => {
    const names: [string, string, string] = ['Fenwickia', 'Aureliana', 'Bartholomeus'];
    const board = await env.createBoard();
    const { fac, alice } = await playRound(
      board.id,
      board.facilitatorKey,
      names,
      ['Fast enough for us', 'Batteries included admin', 'One language everywhere'],
      { anonymous: true },
    );
    expectOk(
      await alice.send(EVENTS.evidenceAdd, {
        criterionId: 'cost',
        optionId: 'django',
        text: 'Hosting is cheap for us',
        url: 'https://example.com/hosting',
      }),
    );
    const anon = await recordOf(board.id);
    const lower = anon.markdown.toLowerCase();
    for (const name of names) expect(lower).not.toContain(name.toLowerCase());
    expect(anon.markdown).toContain('Participants are anonymized.');
    expect(anon.markdown).toContain('added by a participant, [example.com]');
    expect(anon.markdown).not.toMatch(/added by Participant/);
    const people = section(anon.root, '### Consensus matrix').filter((b) => b.type === 'table')[2]!;
    expect(
      tableRows(people)
        .map((r) => r[0])
        .sort(),
    ).toEqual(['Participant 1', 'Participant 2', 'Participant 3']);
    // Rationales stay, attributed to the pseudonyms.
    expect(anon.markdown).toMatch(/Participant [123] gave 5: "Batteries included admin"/);
    // Each person's label is their pseudonym on the board (the UI shows anon-N as "Participant N").
    const rationales = ['Fast enough for us', 'Batteries included admin', 'One language everywhere'];
    const onBoard = rationales.map((r) =>
      fac
        .latest()
        .rounds[0]!.scores!.find((s) => s.rationale === r)!
        .participantId.replace('anon-', 'Participant '),
    );
    const inRecord = (md: string) =>
      rationales.map((r) => new RegExp(`(Participant \\d+) gave \\d+: "${r}"`).exec(md)?.[1]);
    expect(inRecord(anon.markdown)).toEqual(onBoard);

    // Switching anonymity off names evidence authors again (the document names them anyway),
    // but the anonymous round stays anonymous, before and after finalizing.
    expectOk(await fac.send(EVENTS.boardSetAnonymous, { enabled: false }));
    const withoutEvidence = (md: string) =>
      md
        .split('\n')
        .filter((line) => !line.includes('added by'))
        .join('\n')
        .toLowerCase();
    const off = await recordOf(board.id);
    expect(off.markdown).toContain(`added by ${names[1]}`);
    for (const name of names) expect(withoutEvidence(off.markdown)).not.toContain(name.toLowerCase());
    expect(inRecord(off.markdown)).toEqual(onBoard);
    expect(section(off.root, '### Dissent').map(textOf)).toEqual(
      section(anon.root, '### Dissent').map(textOf),
    );
    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    const final = await recordOf(board.id);
    for (const name of names) expect(withoutEvidence(final.markdown)).not.toContain(name.toLowerCase());
  });

  it('[M2] hostile text typed into the document and ballots cannot inject HTML, headings or table cells', async () => {
    const board = await env.createBoard();
    const fac = await joinBoard(env, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const alice = await joinBoard(env, board.id, 'Alice');
    const { doc } = await env.provider(board.id);

    const title = '# Ship | it `now`\n## Injected <script>alert(1)</script>';
    const optionName = '#| Dj|ango `x`\n# <script>alert(1)</script>';
    const criterionName = '- Cost | <SCRIPT>alert(1)</SCRIPT>\n### x |';
    const reason = '# pipes | and `ticks` <script>alert(1)</script>\n## not a heading\n| a | b |';
    const rationale = '#| `pipe` | <script>alert(1)</script> |';
    const consequence = '## heading?\n| x | y |\n<script>alert(1)</script>';
    const notes = '# notes\n\n| a | b |\n|---|---|\n| c | d |\n\n<script>alert(1)</script>';
    setMetaText(doc, 'title', title);
    updateOption(doc, 'django', { name: optionName });
    updateCriterion(doc, 'cost', { name: criterionName });
    setDecisionField(doc, 'reason', reason);
    setDecisionField(doc, 'consequencesGood', consequence);
    setNotes(doc, notes);
    // One-line fields (title, names) hold no line breaks: the editor turns them into spaces.
    const editorLine = (s: string) => s.replace(/\n/g, ' ');
    await serverSees(
      board.id,
      (b) =>
        b.title === editorLine(title) &&
        b.options[0]?.name === editorLine(optionName) &&
        b.criteria.some((c) => c.name === editorLine(criterionName)) &&
        b.decision.reason === reason &&
        b.notes === notes,
      'the hostile edits',
    );

    const roundId = await startRound(fac);
    await scoreAll(fac, roundId, (_c, o) => (o === 'django' ? 4 : 2), rationale);
    await scoreAll(alice, roundId, (_c, o) => (o === 'django' ? 5 : 1), rationale);
    expectOk(await fac.send(EVENTS.roundReveal, { roundId }));
    expectOk(await fac.send(EVENTS.boardFinalize, {}));

    const { res, body } = await fetchRecord(`/api/boards/${board.id}/decision.md`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="\d{4}-\d{2}-\d{2}-[a-z0-9-]+\.md"$/,
    );
    const { root, markdown } = readRecord(body);

    expect(markdown).not.toMatch(/<script/i);
    expect(nodesOfType(root, 'html')).toEqual([]);
    expect(nodesOfType(root, 'inlineCode')).toEqual([]);
    expect(nodesOfType(root, 'code')).toEqual([]);
    // Exactly the MADR headings: nothing typed added one.
    const option = oneLine(optionName);
    const criterion = oneLine(criterionName);
    expect(headings(root)).toEqual([
      `# ${oneLine(title)}`,
      '## Context and Problem Statement',
      '## Decision Drivers',
      '## Considered Options',
      '## Decision Outcome',
      '### Consequences',
      '### Confirmation',
      '## Pros and Cons of the Options',
      `### ${option}`,
      '### Node.js',
      '## More Information',
      '### Consensus matrix',
      '### Rounds',
      '### Reasons given, round by round',
      '### Dissent',
      '### Sensitivity',
      '### Contested and comparative evidence',
      '### Discussion notes',
      '### Review',
      '### Sources',
    ]);
    // Every table keeps its shape, including the ones that carry the hostile names.
    const tables = expectTablesWellFormed(root);
    const matrix = section(root, '### Consensus matrix').filter((b) => b.type === 'table');
    expect(matrix).toHaveLength(3);
    expect(tableRows(matrix[0]!).map((r) => r[0])).toEqual([`${option} (leader)`, 'Node.js']);
    const costRows = tableRows(matrix[1]!).filter((r) => r[0] === criterion);
    expect(costRows.map((r) => r.slice(0, 3))).toEqual([
      [criterion, option, '2'],
      [criterion, 'Node.js', '2'],
    ]);
    expect(tableHeader(matrix[2]!)).toEqual(['Participant', 'Preferred option', option, 'Node.js', 'Scored']);
    expect(tables.length).toBeGreaterThanOrEqual(4); // + the sensitivity table
    const sensitivity = section(root, '### Sensitivity').filter((b) => b.type === 'table');
    expect(sensitivity).toHaveLength(1);
    expect(tableRows(sensitivity[0]!).map((r) => r[0])).toContain(criterion);

    // The text got through, as text.
    expect(openingParagraphs(root, '## Decision Outcome')[0]).toBe(
      `Chosen option: "${option}", because ${oneLine(reason)}.`,
    );
    const optionItems = (section(root, `### ${option}`).find((b) => b.type === 'list')?.children ?? []).map(
      textOf,
    );
    expect(optionItems).toHaveLength(DEFAULT_CRITERIA.length);
    for (const item of optionItems) expect(item).toContain(`Alice gave 5: "${rationale}"`);
    const consequences = section(root, '### Consequences')
      .filter((b) => b.type === 'list')
      .flatMap((l) => (l.children ?? []).map(textOf));
    expect(consequences).toEqual([
      'Good, because ## heading?',
      'Good, because | x | y |',
      'Good, because <script>alert(1)</script>',
    ]);
    const noteText = section(root, '### Discussion notes').map(textOf);
    expect(noteText).toEqual(['# notes', '| a | b |\n|---|---|\n| c | d |', '<script>alert(1)</script>']);
  });
});

describe('a finalized board’s record is frozen', () => {
  it('[R6] renames, joins and the anonymity toggle change nothing in what the endpoints and npm run export serve', async () => {
    const board = await env.createBoard();
    const { fac, alice, bob } = await playRound(board.id, board.facilitatorKey);
    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    const frozen = (await fetchRecord(`/api/boards/${board.id}/decision.md`)).body;
    expect(frozen).toContain('Bob preferred "Node.js"');
    expect((await env.server.store.getRecord(board.id))?.markdown).toBe(frozen);

    expectOk(await bob.send(EVENTS.participantRename, { name: 'Robert' }));
    expectOk(await alice.send(EVENTS.participantRename, { name: 'Alicia' }));
    await joinBoard(env, board.id, 'Dora');
    expectOk(await fac.send(EVENTS.boardSetAnonymous, { enabled: true }));

    const { res, body } = await fetchRecord(`/api/boards/${board.id}/decision.md`);
    expect(body).toBe(frozen);
    expect(res.headers.get('content-disposition')).toContain(
      `filename="${(await env.server.store.getRecord(board.id))?.fileName}"`,
    );
    expect((await fetchRecord(`/api/view/${board.viewerKey}/decision.md`)).body).toBe(frozen);
    // Even with another PUBLIC_URL, the command line prints the file as it was frozen.
    const cli = await runExport([board.id], {
      DATA_DIR: env.dataDir,
      PUBLIC_URL: 'https://elsewhere.example',
    });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toBe(frozen);
  });

  it('reopening drops the frozen record, the record follows the board again, and finalizing again freezes the new state', async () => {
    const board = await env.createBoard();
    const { fac, bob } = await playRound(board.id, board.facilitatorKey);
    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    expectOk(await bob.send(EVENTS.participantRename, { name: 'Robert' }));
    expect((await recordOf(board.id)).markdown).toContain('Bob preferred');

    expectOk(await fac.send(EVENTS.boardUnlock, {}));
    expect(await env.server.store.getRecord(board.id)).toBeNull();
    const reopened = await recordOf(board.id);
    expect(reopened.fields.get('status')).toBe('proposed');
    expect(reopened.markdown).toContain('Robert preferred');

    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    expect((await env.server.store.getRecord(board.id))?.markdown).toContain('Robert preferred');
    expectOk(await bob.send(EVENTS.participantRename, { name: 'Bobby' }));
    expect((await recordOf(board.id)).markdown).toContain('Robert preferred');
  });
});

describe('the viewer endpoint and errors', () => {
  it('[M4] /api/view/<viewerKey>/decision.md returns the same file as the board-id endpoint', async () => {
    const board = await env.createBoard();
    await playRound(board.id, board.facilitatorKey);
    const byId = await fetchRecord(`/api/boards/${board.id}/decision.md`);
    const byViewer = await fetchRecord(`/api/view/${board.viewerKey}/decision.md`);
    expect(byId.res.status).toBe(200);
    expect(byViewer.res.status).toBe(200);
    expect(byViewer.body).toBe(byId.body);
    expect(byViewer.body).toContain('### Consensus matrix');
    expect(byViewer.res.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(byViewer.res.headers.get('content-disposition')).toBe(byId.res.headers.get('content-disposition'));
    // The viewer's copy never reveals the board id or the facilitator key.
    expect(byViewer.body).not.toContain(board.id);
    expect(byViewer.body).not.toContain(board.facilitatorKey);
  });

  it.each([
    ['an unknown board id', () => '/api/boards/AAAAAAAAAAAAAAAAAAAAAA/decision.md'],
    ['an unknown viewer key', () => '/api/view/AAAAAAAAAAAAAAAAAAAAAA/decision.md'],
    ['a board id used as a viewer key', (b: { id: string }) => `/api/view/${b.id}/decision.md`],
    [
      'a viewer key used as a board id',
      (b: { viewerKey: string }) => `/api/boards/${b.viewerKey}/decision.md`,
    ],
  ])('%s → 404 with a JSON error', async (_what, urlFor) => {
    const board = await env.createBoard();
    const { res, body } = await fetchRecord(urlFor(board as { id: string; viewerKey: string }));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('POST → 405 with a JSON error, on both endpoints', async () => {
    const board = await env.createBoard();
    for (const p of [`/api/boards/${board.id}/decision.md`, `/api/view/${board.viewerKey}/decision.md`]) {
      const res = await fetch(`${env.url}${p}`, { method: 'POST' });
      expect(res.status).toBe(405);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toMatchObject({ error: { message: expect.stringMatching(/GET/) } });
    }
  });
});

describe('npm run export (scripts/export.ts)', () => {
  it('[M4] writes the same Markdown as the endpoint, to stdout and with --out to a file', async () => {
    const board = await env.createBoard();
    const { fac } = await playRound(board.id, board.facilitatorKey);
    const { doc } = await env.provider(board.id);
    fillDraft(doc);
    await serverSees(board.id, (b) => b.decision.status === 'accepted', 'the draft');
    expectOk(await fac.send(EVENTS.boardFinalize, {}));
    const { body: served } = await fetchRecord(`/api/boards/${board.id}/decision.md`);
    expect(served).toContain('Chosen option: "Django", because it fits our Python team');

    const stdout = await runExport([board.id], { DATA_DIR: env.dataDir, PUBLIC_URL: env.url });
    expect(stdout.stderr).toBe('');
    expect(stdout.code).toBe(0);
    expect(stdout.stdout).toBe(served);

    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'decision-export-'));
    try {
      const outFile = path.join(outDir, 'adr.md');
      const written = await runExport([board.id, '--out', outFile], {
        DATA_DIR: env.dataDir,
        PUBLIC_URL: `${env.url}/`,
      });
      expect(written.code).toBe(0);
      expect(written.stdout).toBe('');
      expect(written.stderr).toContain(outFile);
      expect(fs.readFileSync(outFile, 'utf8')).toBe(served);
      // --out before the board id works too.
      const outFile2 = path.join(outDir, 'adr2.md');
      const swapped = await runExport(['--out', outFile2, board.id], {
        DATA_DIR: env.dataDir,
        PUBLIC_URL: env.url,
      });
      expect(swapped.code).toBe(0);
      expect(fs.readFileSync(outFile2, 'utf8')).toBe(served);
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('[L11] an unknown board id: non-zero exit, an error on stderr that does not echo the id (a secret), nothing on stdout', async () => {
    await env.createBoard();
    const r = await runExport(['AAAAAAAAAAAAAAAAAAAAAA'], { DATA_DIR: env.dataDir });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no board with that id in /);
    expect(r.stderr).not.toContain('AAAAAAAAAAAAAAAAAAAAAA');
  });

  it('a missing data directory: non-zero exit and a message naming DATA_DIR; nothing is created', async () => {
    const missing = path.join(os.tmpdir(), `decision-board-missing-${process.pid}-${Date.now()}`);
    const r = await runExport(['AAAAAAAAAAAAAAAAAAAAAA'], { DATA_DIR: missing });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no store at .*DATA_DIR/s);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('no board id: non-zero exit and the usage line', async () => {
    const r = await runExport([], { DATA_DIR: env.dataDir });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/usage: npm run export -- <board-id>/);
  });
});
