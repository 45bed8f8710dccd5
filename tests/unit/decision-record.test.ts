import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_DECISION } from '@/lib/board-schema';
import type { BoardSnapshot, CriterionSnapshot, DecisionDraft } from '@/lib/board-types';
import type {
  AgreementBand,
  CellStats,
  ConsensusResult,
  OptionTotal,
  ParticipantPreference,
  Scale,
  Score,
  Sensitivity,
} from '@/lib/consensus-types';
import {
  type DecisionRecordInput,
  decisionRecordFileName,
  escapeMarkdownBlock,
  escapeMarkdownInline,
  escapeTableCell,
  MAX_RECORD_FILE_NAME_CHARS,
  type RecordRound,
  renderDecisionRecord,
} from '@/lib/decision-record';
import { joinLines, normalizeInline, safeHref, yamlString } from '@/lib/markdown-escape';
import { type MdNode, nodesOfType, parse, splitFrontMatter, textOf } from '../helpers/markdown';

// ---------------------------------------------------------------------------------------------
// Markdown inspection helpers
// ---------------------------------------------------------------------------------------------

/** What a reader sees of one line of user text: the escaping functions' contract. */
function expectedInline(text: string): string {
  return (
    text
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: mirrors what the renderer drops.
      .replace(/[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u202a-\u202e\u2066-\u2069]/g, '')
      .replace(/[\s\u0085]+/g, ' ')
      .trim()
  );
}

function headings(root: MdNode): string[] {
  return nodesOfType(root, 'heading').map((h) => `${'#'.repeat(h.depth ?? 0)} ${textOf(h)}`);
}

function expectTablesWellFormed(root: MdNode): number {
  const tables = nodesOfType(root, 'table');
  for (const t of tables) {
    const rows = t.children ?? [];
    const width = rows[0]?.children?.length ?? 0;
    expect(width).toBeGreaterThan(0);
    for (const row of rows) expect(row.children?.length).toBe(width);
  }
  return tables.length;
}

/** Nothing executable or structural can come out of user text. */
function expectNoInjectedStructure(markdown: string, root: MdNode): void {
  expect(markdown).not.toMatch(/<script/i);
  expect(markdown).not.toMatch(/<img/i);
  for (const type of [
    'html',
    'image',
    'code',
    'inlineCode',
    'definition',
    'blockquote',
    'thematicBreak',
    'imageReference',
    'linkReference',
    'footnoteReference',
    'delete',
    'emphasis',
    'strong',
  ]) {
    expect(nodesOfType(root, type), `no ${type} nodes`).toEqual([]);
  }
  for (const link of nodesOfType(root, 'link')) expect(link.url).toMatch(/^(https?:\/\/|mailto:)/);
}

const MADR_HEADINGS_BEFORE_OPTIONS = [
  '## Context and Problem Statement',
  '## Decision Drivers',
  '## Considered Options',
  '## Decision Outcome',
  '### Consequences',
  '### Confirmation',
  '## Pros and Cons of the Options',
];
const MADR_HEADINGS_AFTER_OPTIONS = [
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
];

function expectedHeadings(title: string, optionNames: string[]): string[] {
  return [
    `# ${title}`,
    ...MADR_HEADINGS_BEFORE_OPTIONS,
    ...optionNames.map((n) => `### ${n}`),
    ...MADR_HEADINGS_AFTER_OPTIONS,
  ];
}

// ---------------------------------------------------------------------------------------------
// Fixtures. consensus.ts is written separately; these results are computed here by a small,
// independent helper so that the numbers in the golden file are coherent.
// ---------------------------------------------------------------------------------------------

const SCALE: Scale = { min: 1, max: 5 };

function band(rwg: number | null): AgreementBand {
  if (rwg === null) return 'not-enough-scores';
  if (rwg <= 0.3) return 'none';
  if (rwg <= 0.5) return 'weak';
  if (rwg <= 0.7) return 'moderate';
  if (rwg <= 0.9) return 'strong';
  return 'very-strong';
}

function cellStats(criterionId: string, optionId: string, scores: Score[], scale: Scale): CellStats {
  const mine = scores.filter((s) => s.criterionId === criterionId && s.optionId === optionId);
  const values = mine.map((s) => s.value).sort((a, b) => a - b);
  const n = values.length;
  const mean = n === 0 ? null : values.reduce((a, b) => a + b, 0) / n;
  const median =
    n === 0 ? null : n % 2 === 1 ? values[(n - 1) / 2]! : (values[n / 2 - 1]! + values[n / 2]!) / 2;
  const variance = n < 2 || mean === null ? null : values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const points = scale.max - scale.min + 1;
  const rwg = variance === null ? null : Math.min(1, Math.max(0, 1 - variance / ((points ** 2 - 1) / 12)));
  return {
    criterionId,
    optionId,
    n,
    mean,
    median,
    min: n === 0 ? null : values[0]!,
    max: n === 0 ? null : values[n - 1]!,
    sd: variance === null ? null : Math.sqrt(variance),
    rwg,
    agreement: band(rwg),
    scores: mine.map((s) => ({ participantId: s.participantId, value: s.value, rationale: s.rationale })),
  };
}

function weightedTotals(board: BoardSnapshot, cells: CellStats[]): OptionTotal[] {
  const totalWeight = board.criteria.reduce((a, c) => a + c.weight, 0);
  return board.options.map((o) => {
    let sum = 0;
    let weight = 0;
    for (const c of board.criteria) {
      const cell = cells.find((x) => x.criterionId === c.id && x.optionId === o.id);
      if (cell?.mean === null || cell?.mean === undefined) continue;
      sum += c.weight * cell.mean;
      weight += c.weight;
    }
    return {
      optionId: o.id,
      total: weight === 0 ? null : sum / weight,
      coverage: totalWeight === 0 ? 0 : weight / totalWeight,
    };
  });
}

function leaderOf(totals: OptionTotal[]): { leaderId: string | null; margin: number | null } {
  const scored = totals.filter((t) => t.total !== null).sort((a, b) => b.total! - a.total!);
  const [first, second] = scored;
  if (first === undefined) return { leaderId: null, margin: null };
  if (second !== undefined && Math.abs(first.total! - second.total!) < 1e-9)
    return { leaderId: null, margin: null };
  return { leaderId: first.optionId, margin: second === undefined ? null : first.total! - second.total! };
}

function consensusFor(
  board: BoardSnapshot,
  participantIds: string[],
  scores: Score[],
  sensitivity: Sensitivity[],
  scale: Scale = SCALE,
): ConsensusResult {
  const cells = board.criteria.flatMap((c) => board.options.map((o) => cellStats(c.id, o.id, scores, scale)));
  const totals = weightedTotals(board, cells);
  const { leaderId, margin } = leaderOf(totals);
  const participants: ParticipantPreference[] = participantIds.map((pid) => {
    const own = scores.filter((s) => s.participantId === pid);
    const ownCells = board.criteria.flatMap((c) =>
      board.options.map((o) => cellStats(c.id, o.id, own, scale)),
    );
    const ownTotals = weightedTotals(board, ownCells);
    return {
      participantId: pid,
      totals: ownTotals,
      preferredOptionId: leaderOf(ownTotals).leaderId,
      completion: own.length / (board.criteria.length * board.options.length),
    };
  });
  const withPreference = participants.filter((p) => p.preferredOptionId !== null);
  return {
    cells,
    totals,
    leaderId,
    margin,
    participants,
    support:
      leaderId === null || withPreference.length === 0
        ? null
        : withPreference.filter((p) => p.preferredOptionId === leaderId).length / withPreference.length,
    discussFirst: cells
      .filter((c) => c.rwg !== null)
      .sort((a, b) => a.rwg! - b.rwg!)
      .map((c) => ({ criterionId: c.criterionId, optionId: c.optionId, rwg: c.rwg! })),
    sensitivity,
  };
}

/** Scores from a compact table: criterion → option → participant → [value, rationale?]. */
function scoresFrom(table: Record<string, Record<string, Record<string, [number, string?]>>>): Score[] {
  return Object.entries(table).flatMap(([criterionId, byOption]) =>
    Object.entries(byOption).flatMap(([optionId, byParticipant]) =>
      Object.entries(byParticipant).map(([participantId, [value, rationale]]) => ({
        participantId,
        criterionId,
        optionId,
        value,
        rationale,
      })),
    ),
  );
}

function decision(overrides: Partial<DecisionDraft> = {}): DecisionDraft {
  return { ...EMPTY_DECISION, ...overrides };
}

function criterion(
  id: string,
  name: string,
  weight: number,
  extra: Partial<CriterionSnapshot> = {},
): CriterionSnapshot {
  return { id, name, description: '', weight, evidence: [], contested: null, ...extra };
}

const PARTICIPANTS = [
  { id: 'p-ana', name: 'Ana Lima' },
  { id: 'p-ben', name: 'Ben Okafor' },
  { id: 'p-chen', name: 'Chen Wei' },
];

function djangoNodeBoard(): BoardSnapshot {
  return {
    title: 'Django or Node.js for our backend?',
    question: 'Which framework should the new order service be built on: Django or Node.js?',
    context:
      'The order service replaces a PHP monolith. It needs an admin back office, a REST API for the shop and\n' +
      'live order updates for the warehouse screens.\n\nThe team of six knows Python well; two people have shipped Node.js in production.',
    createdAt: '2026-11-22T09:00:00.000Z',
    status: 'finalized',
    options: [
      {
        id: 'django',
        name: 'Django',
        description: 'Python web framework with batteries included: ORM, admin, auth.',
      },
      { id: 'node', name: 'Node.js', description: 'JavaScript runtime; we would use Fastify with Prisma.' },
    ],
    criteria: [
      criterion('performance', 'Performance', 4, {
        description: 'Throughput and latency of the order API under peak load.',
        evidence: [
          {
            id: 'kinsta-1',
            optionId: 'node',
            text: 'Non-blocking I/O handles many concurrent requests with little memory.',
            origin: { type: 'source', sourceId: 'kinsta', locator: 'Performance › Concurrency' },
          },
          {
            id: 'stxnext-1',
            optionId: 'django',
            text: 'Fast enough for CRUD-heavy APIs when queries are tuned.',
            origin: { type: 'source', sourceId: 'stxnext' },
          },
          {
            id: 'check-1',
            optionId: 'django',
            text: 'Doubtful: the benchmark behind this ran without a database.',
            origin: { type: 'editorial', basis: 'The STX Next benchmark appendix', checks: ['stxnext-1'] },
          },
        ],
        contested: {
          summary: 'whether raw speed matters for a database-bound service',
          sides: [
            {
              sourceId: 'kinsta',
              claim: 'Node.js is clearly faster for I/O-bound workloads.',
              claimId: 'kinsta-2',
              locator: 'Performance',
            },
            {
              sourceId: 'stxnext',
              claim: 'The database, not the framework, is the bottleneck for typical apps.',
            },
          ],
        },
      }),
      criterion('realtime', 'Real-time and concurrency', 3, {
        description: 'Pushing live order updates to warehouse screens.',
        evidence: [
          {
            id: 'e3',
            optionId: 'django',
            text: 'Django Channels adds WebSockets, with Redis as the channel layer.',
            origin: {
              type: 'participant',
              authorName: 'Ben Okafor',
              url: 'https://channels.readthedocs.io/en/latest/',
            },
          },
        ],
      }),
      criterion('learning', 'Learning curve', 2, { description: 'Time until the whole team is productive.' }),
      criterion('admin', 'Development speed', 3, {
        description: 'How fast we ship the back office and the API.',
        evidence: [
          {
            id: 'stxnext-2',
            optionId: null,
            text: 'Django ships an admin interface; Node.js needs one built or bought.',
            origin: { type: 'source', sourceId: 'stxnext', locator: 'Admin' },
          },
        ],
      }),
    ],
    sources: [
      {
        id: 'kinsta',
        title: 'Django vs Node.js: Which One Is Better for Web Development?',
        publisher: 'Kinsta',
        url: 'https://kinsta.com/blog/django-vs-node/',
        date: '2024-03-12',
      },
      {
        id: 'stxnext',
        title: 'Django vs. Node.js: Which Is Better for Your Project?',
        publisher: 'STX Next',
        url: 'https://www.stxnext.com/blog/django-vs-nodejs',
      },
    ],
    notes:
      'Ben will prototype the warehouse push with Channels before we commit.\nRevisit if the team mix changes.',
    decision: decision({
      chosenOptionId: 'django',
      reason: 'the team knows Python and the built-in admin saves weeks on the back office',
      consequencesGood:
        '- the back office ships with the first release\n* Good, because one language serves the data team and the API',
      consequencesBad: 'live updates need Channels and Redis, one more moving part',
      confirmation:
        'The first release includes the admin and the order API; a load test at 3× last Black Friday passes.',
      status: 'accepted',
      decisionMakers: 'Ana Lima (tech lead)',
      consulted: 'Ben Okafor\nChen Wei',
      informed: 'CTO',
      reviewDate: '2027-05-22',
    }),
  };
}

const ROUND_1 = scoresFrom({
  performance: {
    django: { 'p-ana': [3], 'p-ben': [2, 'GIL limits us under load'], 'p-chen': [4] },
    node: { 'p-ana': [4], 'p-ben': [5, 'event loop fits our I/O'], 'p-chen': [3] },
  },
  realtime: {
    django: { 'p-ana': [2], 'p-ben': [1], 'p-chen': [4] },
    node: { 'p-ana': [4], 'p-ben': [5], 'p-chen': [3] },
  },
  learning: {
    django: { 'p-ana': [5], 'p-ben': [3], 'p-chen': [5] },
    node: { 'p-ana': [2], 'p-ben': [4], 'p-chen': [2] },
  },
  admin: {
    django: { 'p-ana': [5], 'p-ben': [3], 'p-chen': [4] },
    node: { 'p-ana': [2], 'p-ben': [3], 'p-chen': [3] },
  },
});

const ROUND_2 = scoresFrom({
  performance: {
    django: {
      'p-ana': [3, 'fine once queries are tuned'],
      'p-ben': [2, 'GIL limits us under load'],
      'p-chen': [4],
    },
    node: { 'p-ana': [4], 'p-ben': [5, 'event loop fits our I/O'], 'p-chen': [4] },
  },
  realtime: {
    django: {
      'p-ana': [3, 'Channels covers the warehouse screens'],
      'p-ben': [2, 'Channels is bolted on'],
      'p-chen': [3],
    },
    node: { 'p-ana': [4], 'p-ben': [5, 'WebSockets are native'], 'p-chen': [4] },
  },
  learning: {
    django: { 'p-ana': [5, 'everyone knows Python'], 'p-ben': [4], 'p-chen': [5] },
    node: { 'p-ana': [2], 'p-ben': [3], 'p-chen': [2, 'async pitfalls for newcomers'] },
  },
  admin: {
    django: { 'p-ana': [5, 'the admin is free'], 'p-ben': [4], 'p-chen': [5] },
    node: { 'p-ana': [2], 'p-ben': [3], 'p-chen': [2] },
  },
});

function djangoNodeInput(overrides: Partial<DecisionRecordInput> = {}): DecisionRecordInput {
  const board = overrides.board ?? djangoNodeBoard();
  const ids = PARTICIPANTS.map((p) => p.id);
  const rounds: RecordRound[] = [
    {
      number: 1,
      mode: 'blind',
      revealedAt: '2026-11-22T10:05:00.000Z',
      consensus: consensusFor(board, ids, ROUND_1, [
        { criterionId: 'performance', delta: 9.5, newLeaderId: 'node' },
        { criterionId: 'realtime', delta: 4, newLeaderId: 'node' },
        { criterionId: 'learning', delta: -1.25, newLeaderId: 'node' },
        { criterionId: 'admin', delta: -2, newLeaderId: 'node' },
      ]),
    },
    {
      number: 2,
      mode: 'blind',
      revealedAt: '2026-11-22T10:40:00.000Z',
      consensus: consensusFor(board, ids, ROUND_2, [
        // Where the totals cross, worked out by hand from ROUND_2 (and agreeing with lib/consensus.ts).
        { criterionId: 'performance', delta: 1, newLeaderId: 'node' },
        { criterionId: 'realtime', delta: 0.8, newLeaderId: 'node' },
        { criterionId: 'learning', delta: -0.57, newLeaderId: 'node' },
        { criterionId: 'admin', delta: -0.57, newLeaderId: 'node' },
      ]),
    },
  ];
  return {
    board,
    participants: PARTICIPANTS,
    rounds,
    anonymous: false,
    boardUrl: 'https://decisions.example.com/b/view/3q7Zk2',
    date: '2026-11-22',
    finalized: true,
    scale: SCALE,
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------------------------

const HOSTILE = [
  'pipes | in || the | middle |',
  'line one\nline two\r\n\r\nline three',
  '`code` and ``` fence',
  '# not a heading',
  '## also not ##',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '[x](javascript:alert(1))',
  '---',
  '***',
  '===',
  '🚀 émoji 👩‍💻 中文 עברית',
  '> quoted',
  '- dash item',
  '+ plus item',
  '* star item',
  '1. ordered',
  '2) ordered',
  '**bold** _em_ ~~strike~~',
  '![img](https://evil.example/x.png)',
  '[ref]: javascript:alert(1)',
  '<!-- comment --> <div>',
  '&lt;script&gt; &#60;img&#62;',
  'trailing backslash \\',
  '    indented code',
  'Title #',
  '| --- | --- |',
  '$x^2$ and $$y$$',
  'see https://example.com/a_b|c?q=<y>&z=1 now',
  'javascript:alert(1)',
  '\u202eevil\u202c and \u0000nul',
  '[^1] footnote',
  '- [ ] task',
  'x'.repeat(3000),
];
const SINK = HOSTILE.join('\n');

function hostileInput(): DecisionRecordInput {
  const options = [
    { id: 'o1', name: SINK, description: SINK },
    { id: 'o2', name: '# not a heading\n## nor this', description: '---\n# x\n<script>alert(1)</script>' },
    { id: 'o3', name: '<img src=x onerror=alert(1)>', description: '' },
  ];
  const criteria: CriterionSnapshot[] = HOSTILE.map((text, i) =>
    criterion(`c${i}`, text, i % 5, {
      description: SINK,
      evidence: [
        { id: `e${i}a`, optionId: 'o1', text, origin: { type: 'source', sourceId: 's1', locator: text } },
        {
          id: text,
          optionId: i % 2 === 0 ? 'o1' : null,
          text: SINK,
          origin: { type: 'editorial', basis: SINK, checks: [text, SINK] },
        },
        {
          id: `e${i}b`,
          optionId: i % 2 === 0 ? 'o2' : null,
          text: SINK,
          origin: {
            type: 'participant',
            authorName: HOSTILE[(i + 1) % HOSTILE.length]!,
            url: 'javascript:alert(1)',
          },
        },
        {
          id: `e${i}c`,
          optionId: 'o3',
          text,
          origin: {
            type: 'participant',
            authorName: text,
            url: `https://example.com/${encodeURIComponent(text)}|x`,
          },
        },
      ],
      contested: {
        summary: SINK,
        sides: [
          { sourceId: 's1', claim: text, claimId: text, locator: SINK },
          { sourceId: 'missing', claim: SINK },
        ],
      },
    }),
  );
  const board: BoardSnapshot = {
    title: SINK,
    question: SINK,
    context: SINK,
    createdAt: SINK,
    status: 'open',
    options,
    criteria,
    sources: [
      { id: 's1', title: SINK, publisher: SINK, url: 'javascript:alert(1)', date: SINK },
      { id: 's2', title: '[x](javascript:alert(1))', url: 'https://example.com/a(b)c\\d|e`f' },
    ],
    notes: SINK,
    decision: decision({
      chosenOptionId: 'o1',
      reason: SINK,
      consequencesGood: SINK,
      consequencesBad: SINK,
      confirmation: SINK,
      status: 'accepted',
      decisionMakers: SINK,
      consulted: SINK,
      informed: SINK,
      reviewDate: SINK,
    }),
  };
  const participants = HOSTILE.slice(0, 8).map((name, i) => ({ id: `p${i}`, name }));
  const scores: Score[] = participants.flatMap((p, pi) =>
    criteria.flatMap((c, ci) =>
      options.map((o, oi) => ({
        participantId: p.id,
        criterionId: c.id,
        optionId: o.id,
        value: 1 + ((pi + ci + oi) % 5),
        rationale: HOSTILE[(pi + ci + oi) % HOSTILE.length],
      })),
    ),
  );
  const ids = participants.map((p) => p.id);
  const sensitivity = criteria.map((c, i) => ({
    criterionId: c.id,
    delta: i % 3 === 0 ? null : i - 10,
    newLeaderId: i % 3 === 0 ? null : 'o2',
  }));
  return {
    board,
    participants,
    rounds: [
      {
        number: 1,
        mode: 'open',
        revealedAt: SINK,
        consensus: consensusFor(board, ids, scores.slice(40), sensitivity),
      },
      {
        number: 2,
        mode: 'blind',
        revealedAt: null,
        consensus: consensusFor(board, ids, scores, sensitivity),
      },
    ],
    anonymous: false,
    boardUrl: SINK,
    date: SINK,
    finalized: true,
    scale: SCALE,
  };
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('renderDecisionRecord: MADR 4 layout', () => {
  it('[M1] has the front matter with the five MADR keys and the MADR headings in order', () => {
    const { fields, body } = splitFrontMatter(renderDecisionRecord(djangoNodeInput()));
    expect([...fields.keys()]).toEqual(['status', 'date', 'decision-makers', 'consulted', 'informed']);
    expect(Object.fromEntries(fields)).toEqual({
      status: 'accepted',
      date: '2026-11-22',
      'decision-makers': 'Ana Lima (tech lead)',
      consulted: 'Ben Okafor, Chen Wei',
      informed: 'CTO',
    });
    expect(headings(parse(body))).toEqual(
      expectedHeadings('Django or Node.js for our backend?', ['Django', 'Node.js']),
    );
  });

  it('renders every table row with as many cells as its header', () => {
    const root = parse(splitFrontMatter(renderDecisionRecord(djangoNodeInput())).body);
    // totals, cells, participants, rounds, r_wg per round, sensitivity
    expect(expectTablesWellFormed(root)).toBe(6);
  });

  it('lists each criterion as a driver with its weight and normalized share', () => {
    const markdown = renderDecisionRecord(djangoNodeInput());
    expect(markdown).toContain(
      '* Performance — weight 4 (33%): Throughput and latency of the order API under peak load.',
    );
    expect(markdown).toContain('* Learning curve — weight 2 (17%)');
  });

  it('states contested points with each side, its source, and the claim id and section to check it', () => {
    const markdown = renderDecisionRecord(djangoNodeInput());
    expect(markdown).toContain(
      '* Sources disagree on Performance: whether raw speed matters for a database-bound service\n' +
        '  * [Django vs Node.js: Which One Is Better for Web Development?](<https://kinsta.com/blog/django-vs-node/>): ' +
        'Node.js is clearly faster for I/O-bound workloads. (claim kinsta-2, section “Performance”)\n' +
        // A side from a board made before claims had ids: just the source and the claim.
        '  * [Django vs. Node.js: Which Is Better for Your Project?](<https://www.stxnext.com/blog/django-vs-nodejs>): ' +
        'The database, not the framework, is the bottleneck for typical apps.\n',
    );
  });

  it('lists each claim of a source with its id and, when known, the section of the article to check it in', () => {
    const markdown = renderDecisionRecord(djangoNodeInput());
    expect(markdown).toContain(
      '* Performance: Non-blocking I/O handles many concurrent requests with little memory. ' +
        '(claim kinsta-1, section “Performance › Concurrency”; source: ' +
        '[Django vs Node.js: Which One Is Better for Web Development?](<https://kinsta.com/blog/django-vs-node/>))',
    );
    expect(markdown).toContain(
      '* Performance: Fast enough for CRUD-heavy APIs when queries are tuned. (claim stxnext-1; source: ',
    );
    expect(markdown).toContain(
      '* Development speed: Django ships an admin interface; Node.js needs one built or bought. ' +
        '(claim stxnext-2, section “Admin”; source: ',
    );
  });

  it("[E2] marks an editorial check as the board's own note, with the claim it checks and what it rests on", () => {
    const markdown = renderDecisionRecord(djangoNodeInput());
    expect(markdown).toContain(
      "* Performance: Editorial check check-1 on claim stxnext-1, the board's own note and not a source's claim: " +
        'Doubtful: the benchmark behind this ran without a database. (rests on: The STX Next benchmark appendix)',
    );
    // Listed with the option's evidence right after the claim it checks, never attributed to a source.
    const django = markdown.slice(markdown.indexOf('### Django'), markdown.indexOf('### Node.js'));
    expect(django.indexOf('Editorial check check-1')).toBeGreaterThan(django.indexOf('claim stxnext-1;'));
    expect(markdown).not.toMatch(/Doubtful: the benchmark[^\n]*source:/);
  });

  it('ignores fields it does not know, such as a server signature on evidence and contested points', () => {
    const plain = renderDecisionRecord(djangoNodeInput());
    const board = djangoNodeBoard();
    const signed = {
      ...board,
      criteria: board.criteria.map((c) => ({
        ...c,
        evidence: c.evidence.map((e) => ({ ...e, sig: 'c2lnbmF0dXJl' })),
        contested: c.contested === null ? null : { ...c.contested, sig: 'c2lnbmF0dXJl', extra: { any: 1 } },
      })),
    };
    expect(renderDecisionRecord(djangoNodeInput({ board: signed }))).toBe(plain);
  });

  it('treats a locator, claim id or checks list of the wrong type as absent instead of failing', () => {
    const board = djangoNodeBoard();
    const [performance] = board.criteria;
    const forged = {
      ...board,
      criteria: [
        {
          ...performance!,
          evidence: [
            {
              id: 'x-1',
              optionId: 'node',
              text: 'Forged claim.',
              origin: { type: 'source', sourceId: 'kinsta', locator: 42 },
            },
            {
              id: 'x-2',
              optionId: 'node',
              text: 'Forged check.',
              origin: { type: 'editorial', basis: 7, checks: 'x-1' },
            },
          ],
          contested: { summary: 's', sides: [{ sourceId: 'kinsta', claim: 'c', claimId: 9, locator: {} }] },
        },
      ],
    } as unknown as BoardSnapshot;
    const markdown = renderDecisionRecord(djangoNodeInput({ board: forged }));
    expect(markdown).toContain('* Performance: Forged claim. (claim x-1; source: ');
    expect(markdown).toContain(
      "* Performance: Editorial check x-2, the board's own note and not a source's claim: Forged check. (rests on: nothing stated)",
    );
    expect(markdown).toMatch(/\): c\n/);
  });
});

describe('renderDecisionRecord: outcome', () => {
  it('[M3] a finalized record names the chosen option with the facilitator reason', () => {
    const markdown = renderDecisionRecord(djangoNodeInput());
    expect(markdown).toContain(
      '\n\nChosen option: "Django", because the team knows Python and the built-in admin saves weeks on the back office.\n',
    );
    expect(markdown).toMatch(/^status: "accepted"$/m);
    expect(markdown).not.toContain('Leading option');
  });

  it('a finalized record without a reason falls back to the matrix result', () => {
    const input = djangoNodeInput();
    input.board.decision.reason = '  ';
    expect(renderDecisionRecord(input)).toContain(
      'Chosen option: "Django", because it led the weighted consensus matrix with 3.61 of 5.',
    );
  });

  it('[M3] a record that is not finalized names the leader as leading, not chosen, with status proposed', () => {
    const markdown = renderDecisionRecord(djangoNodeInput({ finalized: false }));
    expect(markdown).toMatch(/^status: "proposed"$/m);
    expect(markdown).toContain('Leading option: "Django" (not yet chosen)');
    expect(markdown).not.toContain('Chosen option:');
    expect(markdown).toContain('The decision draft proposes "Django", because the team knows Python');
  });

  it('a finalized record keeps the status the facilitator set', () => {
    const input = djangoNodeInput();
    input.board.decision.status = 'rejected';
    expect(renderDecisionRecord(input)).toMatch(/^status: "rejected"$/m);
  });

  it('a choice against the matrix leader is stated, and dissent is measured against the choice', () => {
    const input = djangoNodeInput();
    input.board.decision.chosenOptionId = 'node';
    const markdown = renderDecisionRecord(input);
    expect(markdown).toContain('Chosen option: "Node.js", because the team knows Python');
    expect(markdown).toContain(
      'Note: the weighted consensus matrix was led by "Django", not by the chosen option.',
    );
    expect(markdown).toContain('Participants who preferred an option other than the chosen option "Node.js"');
  });

  it('lists consequences one bullet per non-empty line, without doubled markers', () => {
    const markdown = renderDecisionRecord(djangoNodeInput());
    expect(markdown).toContain(
      '* Good, because the back office ships with the first release\n' +
        '* Good, because one language serves the data team and the API\n' +
        '* Bad, because live updates need Channels and Redis, one more moving part',
    );
  });

  it("reports dissent with the dissenter's scores and rationales", () => {
    const markdown = renderDecisionRecord(djangoNodeInput());
    expect(markdown).toContain('* Ben Okafor preferred "Node.js"');
    expect(markdown).toContain(
      '  * Real-time and concurrency: Node.js 5 ("WebSockets are native") vs Django 2 ("Channels is bolted on")',
    );
  });
});

/** The input with its latest round anonymous: participant ids replaced by that round's pseudonyms. */
function withAnonymousLatestRound(
  input: DecisionRecordInput,
  pseudonyms: Record<string, string>,
): DecisionRecordInput {
  const rounds = [...input.rounds];
  let json = JSON.stringify(rounds.at(-1));
  for (const [id, pseudonym] of Object.entries(pseudonyms))
    json = json.replaceAll(`"${id}"`, `"${pseudonym}"`);
  rounds[rounds.length - 1] = { ...(JSON.parse(json) as RecordRound), anonymous: true };
  return { ...input, rounds };
}
const PSEUDONYMS = { 'p-ana': 'anon-3', 'p-ben': 'anon-1', 'p-chen': 'anon-2' };

describe('renderDecisionRecord: anonymity', () => {
  it('no participant name appears anywhere when the latest round is anonymous on a board that hides names', () => {
    const input = withAnonymousLatestRound(djangoNodeInput({ anonymous: true }), PSEUDONYMS);
    // Free text is reproduced as typed, so keep the facilitator's fields and notes free of names here.
    input.board.decision = {
      ...input.board.decision,
      decisionMakers: 'Tech lead',
      consulted: 'Backend team',
    };
    input.board.notes = 'One of us will prototype the warehouse push.';
    const markdown = renderDecisionRecord(input);
    for (const p of PARTICIPANTS) {
      expect(markdown).not.toContain(p.name);
      for (const part of p.name.split(' ')) expect(markdown).not.toMatch(new RegExp(`\\b${part}\\b`));
    }
    // The round's pseudonyms, not the participants order: Ana is anon-3, Ben anon-1.
    expect(markdown).toContain('Participant 3 gave 3: "fine once queries are tuned"');
    expect(markdown).toContain('* Participant 1 preferred "Node.js"');
    // Evidence by a participant is never attributed to a pseudonym.
    expect(markdown).toContain('(added by a participant, [channels.readthedocs.io]');
    expect(markdown).not.toMatch(/added by Participant/);
    expect(markdown).toContain('Participants are anonymized.');
  });

  it('an anonymous round is labelled by its pseudonyms whatever the participants order', () => {
    const a = renderDecisionRecord(withAnonymousLatestRound(djangoNodeInput(), PSEUDONYMS));
    const b = renderDecisionRecord(
      withAnonymousLatestRound(djangoNodeInput({ participants: [...PARTICIPANTS].reverse() }), PSEUDONYMS),
    );
    expect(a).toContain('* Participant 1 preferred "Node.js"');
    expect(b).toBe(a);
  });

  it('a named round keeps its names when the board hides names; only evidence authors are hidden', () => {
    const markdown = renderDecisionRecord(djangoNodeInput({ anonymous: true }));
    expect(markdown).toContain('* Ben Okafor preferred "Node.js"');
    expect(markdown).toContain('(added by a participant, [channels.readthedocs.io]');
    expect(markdown).toContain('Evidence authors are not named.');
    expect(markdown).not.toContain('Participants are anonymized.');
  });
});

describe('renderDecisionRecord: no rounds', () => {
  it('renders a complete record that says nothing has been scored yet', () => {
    const markdown = renderDecisionRecord(djangoNodeInput({ rounds: [], finalized: false }));
    const { body } = splitFrontMatter(markdown);
    const root = parse(body);
    expect(headings(root)).toEqual(
      expectedHeadings('Django or Node.js for our backend?', ['Django', 'Node.js']),
    );
    expect(markdown).toContain('No option leads yet: nothing has been scored.');
    expect(markdown).toContain('Nothing has been scored yet: no round has been revealed.');
    expect(markdown).toMatch(/^status: "proposed"$/m);
    expect(expectTablesWellFormed(root)).toBe(0);
  });

  it('renders an empty board', () => {
    const board: BoardSnapshot = {
      title: '',
      question: '',
      context: '',
      createdAt: '',
      status: 'open',
      options: [],
      criteria: [],
      sources: [],
      notes: '',
      decision: decision(),
    };
    const markdown = renderDecisionRecord({
      ...djangoNodeInput({ board, rounds: [], finalized: false }),
      boardUrl: null,
    });
    expect(headings(parse(splitFrontMatter(markdown).body))).toEqual(
      expectedHeadings('Untitled decision', []),
    );
    expect(markdown).toContain('No criteria were defined.');
  });

  it('says no option leads on a tie', () => {
    const board = djangoNodeBoard();
    const scores = scoresFrom({ performance: { django: { 'p-ana': [3] }, node: { 'p-ana': [3] } } });
    const consensus = consensusFor(board, ['p-ana'], scores, []);
    const markdown = renderDecisionRecord(
      djangoNodeInput({
        board,
        finalized: false,
        rounds: [{ number: 1, mode: 'blind', revealedAt: null, consensus }],
      }),
    );
    expect(markdown).toContain(
      'No option leads yet: "Django" and "Node.js" are tied at 3.00 of 5 in round 1.',
    );
    expect(expectTablesWellFormed(parse(splitFrontMatter(markdown).body))).toBeGreaterThan(0);
  });
});

describe('renderDecisionRecord: hostile text', () => {
  const input = hostileInput();
  // Rendered in a hook, not while the tests are collected: a failure here fails the tests. Each
  // test renders it again, so mutation testing can tell which test reached which code.
  let markdown: string;
  let fields: ReturnType<typeof splitFrontMatter>['fields'];
  let body: string;
  let root: ReturnType<typeof parse>;
  // Parsing this record takes seconds and the tests only read the tree: the same Markdown is
  // parsed once (it is still rendered for every test), which makes a mutation run hours shorter.
  const parsed = new Map<string, ReturnType<typeof parse>>();
  beforeEach(() => {
    markdown = renderDecisionRecord(input);
    ({ fields, body } = splitFrontMatter(markdown));
    root = parsed.get(body) ?? parse(body);
    parsed.set(body, root);
  });

  it('keeps the front matter to the five keys, each on one line', () => {
    expect([...fields.keys()]).toEqual(['status', 'date', 'decision-makers', 'consulted', 'informed']);
    expect(fields.get('date')).toBe(expectedInline(SINK));
  });

  it('[M1][M2] produces exactly the MADR headings; user text never opens one', () => {
    expect(headings(root)).toEqual(
      expectedHeadings(
        expectedInline(SINK),
        input.board.options.map((o) => expectedInline(o.name)),
      ),
    );
  });

  it('[M2] keeps every table row as wide as its header', () => {
    expect(expectTablesWellFormed(root)).toBe(6);
  });

  it('[M2] lets no HTML, code, emphasis, image or non-http(s) link through', () => {
    expectNoInjectedStructure(markdown, root);
    // Only the escaped form `\](javascript` may appear in the body: text, not a link. (YAML values
    // are not Markdown; they keep the text as typed, quoted.)
    expect(body).not.toMatch(/(?<!\\)\]\(\s*javascript/i);
    expect(markdown).not.toContain('<javascript');
  });

  it('shows the user text itself, escaped, in table cells', () => {
    const firstCells = nodesOfType(root, 'tableCell').map(textOf);
    expect(firstCells).toContain(expectedInline(HOSTILE[0]!));
    expect(firstCells).toContain(expectedInline(SINK));
  });
});

describe('escaping', () => {
  const inParagraph = (s: string) => parse(escapeMarkdownInline(s));

  it.each(HOSTILE)('inline text %# reads back as itself, without structure', (text) => {
    const root = inParagraph(text);
    expect(root.children?.map((c) => c.type)).toEqual(['paragraph']);
    expect(textOf(root)).toBe(expectedInline(text));
    expectNoInjectedStructure(escapeMarkdownInline(text), root);
  });

  it('turns http(s) URLs into links to the parsed address and leaves other schemes as text', () => {
    expect(escapeMarkdownInline('see https://example.com/a_b.')).toBe(
      'see [https://example.com/a\\_b](<https://example.com/a_b>).',
    );
    expect(escapeMarkdownInline('javascript:alert(1)')).toBe('javascript:alert(1)');
    expect(escapeMarkdownInline('[x](javascript:alert(1))')).toBe('\\[x\\](javascript:alert(1))');
  });

  it('neutralizes what would start a block', () => {
    expect(escapeMarkdownInline('# h')).toBe('\\# h');
    expect(escapeMarkdownInline('---')).toBe('\\---');
    expect(escapeMarkdownInline('1. one')).toBe('1\\. one');
    expect(escapeMarkdownInline('> q')).toBe('&gt; q');
    expect(escapeMarkdownInline('<script>')).toBe('&lt;script&gt;');
    expect(escapeMarkdownInline('a & b')).toBe('a &amp; b');
  });

  it('escapes pipes and newlines for table cells', () => {
    expect(escapeTableCell('a | b\nc')).toBe('a \\| b c');
  });

  it('keeps paragraphs and lines of multi-line text, each line escaped', () => {
    const root = parse(escapeMarkdownBlock('Constraints:\n- ship by Q3\n# no heading\n\nSecond paragraph'));
    expect(root.children?.map((c) => c.type)).toEqual(['paragraph', 'paragraph']);
    expect(textOf(root)).toBe('Constraints:\n- ship by Q3\n# no heading' + 'Second paragraph');
  });

  // Text built from the characters that mean something in Markdown, plus arbitrary Unicode.
  const markdownish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '#',
          '-',
          '+',
          '*',
          '_',
          '`',
          '~',
          '[',
          ']',
          '(',
          ')',
          '<',
          '>',
          '&',
          '|',
          '\\',
          '!',
          '$',
          ':',
          '.',
          '=',
          ' ',
          '\n',
          '\t',
          '1',
          'a',
          'www.',
          'http://',
          'https://',
          'x.co',
          '/',
          'javascript:',
          '&amp;',
          '&#60;',
          '<img>',
          '@',
          '^',
          '"',
          "'",
          '\u202e',
          '\u0000',
          '\u00a0',
          '👩‍💻',
        ),
        fc.string({ unit: 'binary', maxLength: 3 }),
      ),
      { maxLength: 30 },
    )
    .map((parts) => parts.join(''));

  it.each([
    [
      '[M2] a "!" right before an autolinked address (it would make the link an image)',
      'Look!https://evil.example/x.png',
    ],
    ['[M2] a trailing "#" after a space (a heading would eat it as its closing sequence)', 'Pick C #'],
    ['[M2] a trailing run of "#"', 'Choose ###'],
    ['[M2] a lone "#"', '#'],
  ])('%s reads back as itself in a paragraph, a list item and a heading, with no image', (_what, text) => {
    const escaped = escapeMarkdownInline(text);
    for (const markdown of [escaped, `* ${escaped}`, `### ${escaped}`]) {
      const root = parse(markdown);
      expect(textOf(root)).toBe(expectedInline(text));
      expect(JSON.stringify(root)).not.toMatch(/"type":"image"/);
    }
  });

  it('[M2] round-trips any text through a paragraph, a list item, a heading and a table cell', () => {
    fc.assert(
      fc.property(markdownish, (text) => {
        const expected = expectedInline(text);
        const escaped = escapeMarkdownInline(text);
        expect(escaped).not.toMatch(/[\n\r]/);
        for (const [markdown, container] of [
          [escaped, 'paragraph'],
          [`* ${escaped}`, 'list'],
          [`### ${escaped}`, 'heading'],
        ] as const) {
          const root = parse(markdown);
          if (expected === '' && container === 'paragraph') {
            expect(root.children).toEqual([]);
            continue;
          }
          expect(root.children?.map((c) => c.type)).toEqual([container]);
          expect(textOf(root)).toBe(expected);
          expectNoInjectedStructure(escaped, root);
        }
        const cells = parse(`| h | i |\n| --- | --- |\n| ${escapeTableCell(text)} | z |`);
        expect(cells.children?.map((c) => c.type)).toEqual(['table']);
        expectTablesWellFormed(cells);
        const row = cells.children?.[0]?.children?.[1];
        expect(textOf(row?.children?.[0] ?? { type: 'none' })).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });
});

describe('decisionRecordFileName', () => {
  it.each([
    ['Django or Node.js for our backend?', '2026-11-22', '2026-11-22-django-or-node-js-for-our-backend.md'],
    ['', '2026-11-22', '2026-11-22-decision.md'],
    ['   ', '', 'decision.md'],
    ['🚀🚀', '2026-11-22', '2026-11-22-decision.md'],
    ['决策记录', '2026-11-22', '2026-11-22-decision.md'],
    ['Café Überweisung für Straßen', '2026-11-22', '2026-11-22-cafe-uberweisung-fur-strassen.md'],
    ['Ｄｊａｎｇｏ　ｖｓ　Ｎｏｄｅ', '2026-11-22', '2026-11-22-django-vs-node.md'],
    ['../../etc/passwd', '2026-11-22', '2026-11-22-etc-passwd.md'],
    ['..\\..\\windows\\system32', '2026-11-22', '2026-11-22-windows-system32.md'],
    ['<script>alert(1)</script>', '2026-11-22', '2026-11-22-script-alert-1-script.md'],
    ['CON', 'not a date', 'decision-con.md'],
    ['A title', '../2026-11-22', 'a-title.md'],
  ])('%j on %j → %s', (title, date, expected) => {
    expect(decisionRecordFileName(title, date)).toBe(expected);
  });

  it('never exceeds the length limit and cuts at a word boundary', () => {
    const name = decisionRecordFileName('word '.repeat(100), '2026-11-22');
    expect(name.length).toBeLessThanOrEqual(MAX_RECORD_FILE_NAME_CHARS);
    expect(name).toMatch(/^2026-11-22-(word-)*word\.md$/);
    expect(decisionRecordFileName('x'.repeat(500), '2026-11-22').length).toBe(MAX_RECORD_FILE_NAME_CHARS);
  });

  it('is always a safe, non-empty ASCII kebab-case name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string(), (title, date) => {
        const name = decisionRecordFileName(title, date);
        expect(name.length).toBeLessThanOrEqual(MAX_RECORD_FILE_NAME_CHARS);
        expect(name).toMatch(/^(\d{4}-\d{2}-\d{2}-)?[a-z0-9]+(-[a-z0-9]+)*\.md$/);
      }),
    );
  });
});

describe('golden record', () => {
  const goldenPath = path.join(import.meta.dirname, '__golden__', 'decision-record.md');

  it('matches tests/unit/__golden__/decision-record.md (UPDATE_GOLDEN=1 rewrites it)', () => {
    const markdown = renderDecisionRecord(djangoNodeInput());
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(path.dirname(goldenPath), { recursive: true });
      writeFileSync(goldenPath, markdown);
    }
    expect(existsSync(goldenPath), `missing ${goldenPath}: run once with UPDATE_GOLDEN=1`).toBe(true);
    expect(markdown).toBe(readFileSync(goldenPath, 'utf8'));
  });

  it('[M5] is the same for the same input (no clock, no randomness)', () => {
    expect(renderDecisionRecord(djangoNodeInput())).toBe(renderDecisionRecord(djangoNodeInput()));
  });
});

describe('escaping, case by case (found by mutation testing)', () => {
  // Exact outputs, each read by hand: the property tests prove no structure gets through, these
  // pin down what a reader sees.
  it.each([
    // Trailing punctuation ends the sentence, not the address; a balanced ")" stays in it.
    [
      'See https://example.com/a_(b). Done',
      'See [https://example.com/a\\_(b)](<https://example.com/a_(b)>). Done',
    ],
    ['Link (https://example.com/x) here', 'Link ([https://example.com/x](<https://example.com/x>)) here'],
    ['Quote "https://example.com/y", end!', 'Quote "[https://example.com/y](<https://example.com/y>)", end!'],
    ['a [https://example.com/z] b', 'a \\[[https://example.com/z](<https://example.com/z>)\\] b'],
    // Any case of the scheme; the destination is the parsed (normalised) address.
    [
      'HTTP://EXAMPLE.COM/Up and http://x.org',
      '[HTTP://EXAMPLE.COM/Up](<http://example.com/Up>) and [http://x.org](<http://x.org/>)',
    ],
    // After a letter an address is not autolinked (as in GFM), so it is left as it is.
    ['xhttps://evil.example/a', 'xhttps://evil.example/a'],
    // "www." would start an autolink literal read raw: its dot is escaped, in any case.
    ['www.example.com and awww.b.c', 'www\\.example.com and awww.b.c'],
    ['WWW.Example.com', 'WWW\\.Example.com'],
    // What would open a list, a heading or a setext underline.
    ['1. item', '1\\. item'],
    ['12) item', '12\\) item'],
    ['+ plus', '\\+ plus'],
    ['= eq', '\\= eq'],
    ['Pick C ##', 'Pick C \\##'],
    ['Pick C#', 'Pick C#'],
    ['#', '\\#'],
    // Two addresses, one right after the other.
    [
      'https://a.example/ https://a.example/b',
      '[https://a.example/](<https://a.example/>) [https://a.example/b](<https://a.example/b>)',
    ],
    // What could end the destination or split a table cell is percent-encoded in it, escaped in the label.
    [
      'see https://a.example/p|q`r<s>t"u\\v',
      'see [https://a.example/p\\|q\\`r](<https://a.example/p%7Cq%60r>)&lt;s&gt;t"u\\\\v',
    ],
    // Not a URL: escaped so nothing autolinks it.
    ['https://[::1]:bad', 'https\\://\\[::1\\]:bad'],
  ])('[M2] %j is escaped as %j', (text, expected) => {
    expect(escapeMarkdownInline(text)).toBe(expected);
  });

  it('[M2] a link destination percent-encodes what could end it or split a table cell', () => {
    expect(safeHref('https://a.example/p|q`r<s>t"u\\v w')).toBe(
      'https://a.example/p%7Cq%60r%3Cs%3Et%22u/v%20w',
    );
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('not a url')).toBeNull();
  });

  it('[M2] one line: controls and bidi overrides dropped, lone surrogates replaced, whitespace collapsed', () => {
    expect(normalizeInline('a\u0000b\u202ec\u0085d\ud800e\n\tf  ')).toBe('abc d\ufffde f');
    expect(yamlString('a<b>c\u0085d\u2028e\ufeff')).toBe('"a\\u003cb\\u003ec d e"');
    expect(joinLines('a\r\nb\n\n c ,d\u2028e')).toBe('a, b, c ,d, e');
    expect(escapeMarkdownBlock('one\ntwo\n\n\nthree\r\nfour')).toBe('one\\\ntwo\n\nthree\\\nfour');
  });
});

describe('renderDecisionRecord: every outcome, word for word (found by mutation testing)', () => {
  // Each expected text was read by hand against the input; the golden record covers only the
  // finalized case with a reason.
  const outcome = (markdown: string) =>
    markdown.slice(markdown.indexOf('## Decision Outcome'), markdown.indexOf('### Consequences'));

  it('[M3] a choice without a reason that the matrix did not lead says so, with its score, the leader and its standing', () => {
    const input = djangoNodeInput();
    input.board.decision.chosenOptionId = 'node';
    input.board.decision.reason = '';
    expect(outcome(renderDecisionRecord(input))).toBe(
      '## Decision Outcome\n\n' +
        'Chosen option: "Node.js", because the facilitator chose it; no reason was recorded (it scored 3.50 of 5).\n\n' +
        'Note: the weighted consensus matrix was led by "Django", not by the chosen option.\n\n' +
        'In round 2, "Node.js" scored 3.50 of 5, against 3.61 for "Django"; 1 of 3 participants preferred it; mean agreement 0.79.\n\n',
    );
  });

  it('[M3] a choice without a reason and without rounds says only that the facilitator chose it', () => {
    const input = djangoNodeInput({ rounds: [] });
    input.board.decision.reason = '';
    expect(outcome(renderDecisionRecord(input))).toBe(
      '## Decision Outcome\n\nChosen option: "Django", because the facilitator chose it; no reason was recorded.\n\n',
    );
  });

  it('[M3] a record finalized without a chosen option says so before naming the leader', () => {
    const input = djangoNodeInput();
    input.board.decision.chosenOptionId = '';
    expect(outcome(renderDecisionRecord(input))).toContain(
      '## Decision Outcome\n\nThe decision was finalized without a chosen option.\n\nLeading option: "Django" (not yet chosen)',
    );
  });

  it('[M3] a proposed record names the leader with its total and margin, its standing, and the draft with its reason cleaned', () => {
    const input = djangoNodeInput({ finalized: false });
    input.board.decision.reason = '  Because the team knows Python. ..';
    expect(outcome(renderDecisionRecord(input))).toBe(
      '## Decision Outcome\n\n' +
        'Leading option: "Django" (not yet chosen): it leads the weighted consensus matrix with 3.61 of 5, 0.11 ahead of the next option (too close to call). The facilitator has not finalized the decision.\n\n' +
        'In round 2, "Django" scored 3.61 of 5, against 3.50 for "Node.js"; 2 of 3 participants preferred it; mean agreement 0.79.\n\n' +
        'The decision draft proposes "Django", because the team knows Python.\n\n',
    );
  });

  it('[M3] a proposed record whose draft has no reason proposes the option alone', () => {
    const input = djangoNodeInput({ finalized: false });
    input.board.decision.reason = ' . ';
    expect(outcome(renderDecisionRecord(input))).toContain('\n\nThe decision draft proposes "Django".\n\n');
  });

  it('[M3] a tie for first among three options names the tied ones, best first, whatever the board order', () => {
    const board = djangoNodeBoard();
    board.options = [
      { id: 'low', name: 'Low', description: '' },
      { id: 'django', name: 'Django', description: '' },
      { id: 'unscored', name: 'Unscored', description: '' },
      { id: 'node', name: 'Node.js', description: '' },
    ];
    const scores = scoresFrom({
      performance: { low: { 'p-ana': [1] }, django: { 'p-ana': [4] }, node: { 'p-ana': [4] } },
    });
    const consensus = consensusFor(board, ['p-ana'], scores, []);
    const markdown = renderDecisionRecord(
      djangoNodeInput({
        board,
        finalized: false,
        rounds: [{ number: 3, mode: 'blind', revealedAt: null, consensus }],
      }),
    );
    expect(outcome(markdown)).toContain(
      '\n\nNo option leads yet: "Django" and "Node.js" are tied at 4.00 of 5 in round 3.\n\n',
    );
  });

  it('[M1] empty statements, drivers without weight or description, typed bullet markers: each rendered as read', () => {
    const input = djangoNodeInput({ finalized: false });
    input.board.question = '';
    input.board.context = '';
    input.board.decision.consequencesGood = '- Good, because one\n  2) two\n\n* GOOD because three';
    input.board.decision.consequencesBad = '';
    input.board.decision.confirmation = '';
    input.board.criteria[0]!.weight = 0;
    input.board.criteria[0]!.description = '';
    input.board.criteria[1]!.weight = Number.NaN;
    input.board.criteria[2]!.weight = -3;
    const markdown = renderDecisionRecord(input);
    expect(markdown).toContain(
      '## Context and Problem Statement\n\nNo problem statement was recorded.\n\n## Decision Drivers',
    );
    expect(markdown).toContain(
      '## Decision Drivers\n\n' +
        '* Performance — weight 0 (0%)\n' +
        '* Real-time and concurrency — weight — (0%): Pushing live order updates to warehouse screens.\n' +
        '* Learning curve — weight -3 (0%): Time until the whole team is productive.\n' +
        '* Development speed — weight 3 (100%): How fast we ship the back office and the API.\n\n',
    );
    expect(markdown).toContain(
      '### Consequences\n\n* Good, because one\n* Good, because two\n* Good, because three\n\n' +
        '### Confirmation\n\nNo confirmation was recorded.\n\n',
    );
    input.board.decision.consequencesGood = ' \n- \n';
    input.board.criteria.forEach((c) => {
      c.weight = 0;
    });
    const bare = renderDecisionRecord(input);
    expect(bare).toContain('### Consequences\n\nNo consequences were recorded.\n\n### Confirmation');
    expect(bare).toContain('* Development speed — weight 0 (—): How fast');
  });

  it('[M1] the question alone, or the context alone, is the problem statement', () => {
    const input = djangoNodeInput();
    input.board.question = 'Which one?';
    input.board.context = '';
    expect(renderDecisionRecord(input)).toContain(
      '## Context and Problem Statement\n\nWhich one?\n\n## Decision Drivers',
    );
  });
});

describe('decisionRecordFileName, edge by edge (found by mutation testing)', () => {
  it.each([
    ['Straße æ Œ ø đ ð ł þ ı', '2026-11-22', '2026-11-22-strasse-ae-oe-o-d-d-l-th-i.md'],
    ['A title', ' 2026-11-22 ', '2026-11-22-a-title.md'],
    ['A title', '2026-00-10', 'a-title.md'],
    ['A title', '2026-10-00', 'a-title.md'],
    ['A title', '2026-10-32', 'a-title.md'],
    ['A title', '2026-11-22T10:00', 'a-title.md'],
    ['A title', 'x2026-11-22', 'a-title.md'],
    ['con', '2026-11-22', '2026-11-22-con.md'],
    ['COM1', '', 'decision-com1.md'],
    ['lpt9', '', 'decision-lpt9.md'],
    ['xcon', '', 'xcon.md'],
    ['conx', '', 'conx.md'],
    ['comx', '', 'comx.md'],
  ])('%j on %j → %s', (title, date, expected) => {
    expect(decisionRecordFileName(title, date)).toBe(expected);
  });

  it('keeps a slug of exactly the room left, and cuts only at a word boundary after the first word', () => {
    // 80 − "2026-11-22-".length − ".md".length = 66 characters for the title.
    const exact = `${'a'.repeat(30)} ${'b'.repeat(35)}`;
    expect(decisionRecordFileName(exact, '2026-11-22')).toBe(
      `2026-11-22-${'a'.repeat(30)}-${'b'.repeat(35)}.md`,
    );
    expect(decisionRecordFileName(`${exact}b`, '2026-11-22')).toBe(`2026-11-22-${'a'.repeat(30)}.md`);
    expect(decisionRecordFileName(`${'c'.repeat(70)} d`, '2026-11-22')).toBe(
      `2026-11-22-${'c'.repeat(66)}.md`,
    );
  });
});
