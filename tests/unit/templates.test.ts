import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BoardTemplate,
  boardTemplateSchema,
  isEditorialCheck,
  type TemplateClaim,
  type TemplateEditorialCheck,
} from '@/lib/template';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const TEMPLATES_DIR = path.join(REPO_ROOT, 'lib/templates');
const DEFAULT_TEMPLATE_ID = 'django-vs-node';
const MAX_CLAIM_CHARS = 200;

const CRITERIA = [
  ['performance', 'Performance'],
  ['scalability', 'Scalability'],
  ['real-time-and-concurrency', 'Real-time and concurrency'],
  ['learning-curve', 'Learning curve'],
  ['development-speed', 'Development speed'],
  ['security', 'Security'],
  ['ecosystem', 'Ecosystem'],
  ['flexibility', 'Flexibility'],
  ['documentation', 'Documentation'],
  ['full-stack-language', 'Full-stack language'],
  ['data-heavy-fit', 'Data-heavy fit'],
  ['cost', 'Cost'],
] as const;

interface TemplateFile {
  file: string;
  raw: unknown;
}

const templateFiles: TemplateFile[] = readdirSync(TEMPLATES_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ file, raw: JSON.parse(readFileSync(path.join(TEMPLATES_DIR, file), 'utf8')) }));

function loadTemplate(id: string): BoardTemplate {
  const found = templateFiles.find((t) => t.file === `${id}.json`);
  if (!found) throw new Error(`no template file ${id}.json in ${TEMPLATES_DIR}`);
  return boardTemplateSchema.parse(found.raw);
}

/** The claims taken from articles (editorial checks are the board's own notes, not claims). */
function claimsOf(template: BoardTemplate) {
  return template.criteria.flatMap((criterion) =>
    criterion.evidence.flatMap((claim) => (isEditorialCheck(claim) ? [] : [{ criterion, claim }])),
  );
}

function checksOf(
  template: BoardTemplate,
): { criterion: BoardTemplate['criteria'][number]; check: TemplateEditorialCheck }[] {
  return template.criteria.flatMap((criterion) =>
    criterion.evidence.flatMap((check) => (isEditorialCheck(check) ? [{ criterion, check }] : [])),
  );
}

/** Case, spacing, accents and punctuation do not make two claims different (see `words`). */
function normalized(text: string): string {
  return words(text).join(' ');
}

/**
 * Words for comparing texts: case, accents, punctuation and quote styles do not matter
 * ("Django’s" = "django's" = "djangos"; "cross-site" = "cross site"; "10,000" = "10 000").
 */
function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['’‘`´]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

/** The smallest template the schema accepts with one claim, for building bad variants. */
function minimalTemplate(): Record<string, unknown> {
  return {
    id: 'tiny',
    label: 'Tiny',
    title: 'Tiny',
    question: 'A or B?',
    context: '',
    options: [
      { key: 'a', name: 'A', description: '' },
      { key: 'b', name: 'B', description: '' },
    ],
    criteria: [
      {
        key: 'speed',
        name: 'Speed',
        description: '',
        weight: 3,
        evidence: [
          { id: 'article-1', option: 'a', text: 'A is quick.', source: 'article', locator: 'Speed' },
          { id: 'article-2', option: 'b', text: 'B is slow.', source: 'article', locator: 'Speed' },
        ],
        contested: null,
      },
    ],
    sources: [{ id: 'article', title: 'An article' }],
  };
}

function withClaim(claim: Record<string, unknown>) {
  const template = minimalTemplate();
  const [criterion] = template.criteria as Array<Record<string, unknown>>;
  if (criterion) criterion.evidence = [claim];
  return template;
}

describe('every template file', () => {
  it('there is at least the default and the blank template', () => {
    expect(templateFiles.map((t) => t.file)).toEqual(
      expect.arrayContaining(['blank.json', 'django-vs-node.json']),
    );
  });

  it.each(templateFiles)(
    '$file parses with the template schema and its id matches the file name',
    ({ file, raw }) => {
      const result = boardTemplateSchema.safeParse(raw);
      expect(result.error?.issues ?? []).toEqual([]);
      expect(`${result.data?.id}.json`).toBe(file);
    },
  );

  // The schema strips unknown keys and fills defaults; a typo such as "evidance" would silently
  // empty a criterion. Parsing must therefore give back exactly what the file says.
  it.each(templateFiles)(
    '$file loses nothing when parsed: every field it spells is one the schema keeps',
    ({ raw }) => {
      expect(boardTemplateSchema.parse(raw)).toEqual(raw);
    },
  );

  it.each(templateFiles)('$file uses each option, criterion and source key once', ({ raw }) => {
    const template = boardTemplateSchema.parse(raw);
    for (const keys of [
      template.options.map((o) => o.key),
      template.criteria.map((c) => c.key),
      template.sources.map((s) => s.id),
    ]) {
      expect(new Set(keys).size).toBe(keys.length);
    }
  });
});

describe('the Django vs Node.js template', () => {
  const template = loadTemplate(DEFAULT_TEMPLATE_ID);
  const optionKeys = new Set(template.options.map((o) => o.key));
  const sourceIds = new Set(template.sources.map((s) => s.id));
  const claims = claimsOf(template);
  const checks = checksOf(template);
  const claimById = new Map(claims.map(({ claim }) => [claim.id, claim]));
  const claim = (id: string): TemplateClaim => {
    const found = claimById.get(id);
    if (!found) throw new Error(`no claim ${id} in the default template`);
    return found;
  };

  it('asks which backend to use and offers Django and Node.js', () => {
    expect(template.question).toBe('Which backend should we use: Django or Node.js?');
    expect(template.options.map((o) => [o.key, o.name])).toEqual([
      ['django', 'Django'],
      ['node', 'Node.js'],
    ]);
    for (const option of template.options) expect(option.description).not.toBe('');
  });

  it('has the twelve criteria drawn from the articles, in order, each described', () => {
    expect(template.criteria.map((c) => [c.key, c.name])).toEqual(CRITERIA.map(([key, name]) => [key, name]));
    for (const criterion of template.criteria) expect(criterion.description).not.toBe('');
  });

  it('gives every criterion an integer default weight from 1 to 5', () => {
    for (const criterion of template.criteria) {
      expect(Number.isInteger(criterion.weight)).toBe(true);
      expect(criterion.weight).toBeGreaterThanOrEqual(1);
      expect(criterion.weight).toBeLessThanOrEqual(5);
    }
  });

  it('every claim sits under a criterion and has text, a known source and an existing option or none', () => {
    expect(claims.length).toBeGreaterThanOrEqual(100);
    for (const { criterion, claim } of claims) {
      expect(criterion.key).not.toBe('');
      expect(claim.text.trim()).not.toBe('');
      expect(sourceIds, claim.id).toContain(claim.source);
      if (claim.option !== null) expect(optionKeys).toContain(claim.option);
    }
  });

  it('every claim and editorial check has its own stable id, written in the file', () => {
    const ids = template.criteria.flatMap((c) => c.evidence.map((e) => e.id));
    expect(ids.filter((id) => id === undefined)).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    // A claim's id names its article, so "titans-12" can be found without the board.
    for (const { claim } of claims) expect(claim.id?.startsWith(`${claim.source}-`), claim.id).toBe(true);
    for (const { check } of checks) expect(check.id).toMatch(/^check-\d+$/);
  });

  it('[E1] every claim has a locator: the section of its article to check it in', () => {
    for (const { claim } of claims) expect(claim.locator?.trim() ?? '', claim.id).not.toBe('');
  });

  it('a claim without an option is comparative and names both options', () => {
    const comparative = template.criteria.flatMap((c) => c.evidence.filter((e) => e.option === null));
    expect(comparative.length).toBeGreaterThan(0);
    for (const claim of comparative) {
      for (const option of template.options) expect(claim.text, claim.id).toContain(option.name);
    }
  });

  it('every claim and editorial check is one short sentence', () => {
    for (const e of template.criteria.flatMap((c) => c.evidence)) {
      expect(e.text.length, e.text).toBeLessThanOrEqual(MAX_CLAIM_CHARS);
      expect(e.text, 'a second sentence starts inside the claim').not.toMatch(/[.!?]\s+[A-Z]/);
    }
  });

  it('no claim repeats another', () => {
    const texts = claims.map(({ claim }) => normalized(claim.text));
    const repeated = texts.filter((text, i) => texts.indexOf(text) !== i);
    expect(repeated).toEqual([]);
  });

  it('every source is cited by at least one claim', () => {
    const cited = new Set(claims.map(({ claim }) => claim.source));
    for (const source of template.sources) expect(cited, source.id).toContain(source.id);
  });

  it('every criterion has at least one claim about each option', () => {
    for (const criterion of template.criteria) {
      for (const option of template.options) {
        const about = criterion.evidence.filter((e) => !isEditorialCheck(e) && e.option === option.key);
        expect(about.length, `${criterion.key} / ${option.key}`).toBeGreaterThan(0);
      }
    }
  });

  it('flags the criteria where the articles really disagree, and not ecosystem, data-heavy fit or cost', () => {
    const contested = template.criteria.filter((c) => c.contested !== null).map((c) => c.key);
    expect(contested).toEqual([
      'performance',
      'scalability',
      'real-time-and-concurrency',
      'learning-curve',
      'development-speed',
      'flexibility',
    ]);
  });

  it('[E1] every contested marker has a summary and sides from at least two distinct claims that differ', () => {
    for (const criterion of template.criteria) {
      const contested = criterion.contested;
      if (contested === null) continue;
      expect(contested.summary.trim()).not.toBe('');
      const ids = new Set(contested.claims);
      expect(ids.size, criterion.key).toBe(contested.claims.length);
      expect(ids.size, criterion.key).toBeGreaterThanOrEqual(2);
      // Every side is a claim of an article that exists, and no two sides say the same thing.
      const texts = contested.claims.map((id) => normalized(claim(id).text));
      expect(new Set(texts).size, criterion.key).toBe(texts.length);
      for (const id of contested.claims) expect(sourceIds).toContain(claim(id).source);
    }
  });

  it('every editorial check says what it rests on and checks claims of the articles', () => {
    expect(checks.length).toBeGreaterThan(0);
    for (const { check } of checks) {
      expect(check.editorial.basis.trim(), check.id).not.toBe('');
      expect(check.editorial.checks.length, check.id).toBeGreaterThan(0);
      for (const id of check.editorial.checks)
        expect(claimById.has(id), `${check.id} checks ${id}`).toBe(true);
    }
  });

  it('the Python JIT explanation carries an editorial check resting on the Python release notes', () => {
    const jit = claims.find(({ claim }) => /JIT/.test(claim.text));
    expect(jit?.claim.source).toBe('showdown');
    const check = checks.find(({ check }) => check.editorial.checks.includes(jit?.claim.id ?? ''));
    expect(check?.criterion.key).toBe('performance');
    expect(check?.check.text).toMatch(/Python 3\.13.*experimental.*off by default/);
    expect(check?.check.editorial.basis).toMatch(/Python 3\.13/);
  });

  // Regressions from the fidelity review (issue 14): hedges kept, nothing strengthened or
  // misattributed. Each row is a claim, words it must keep and words it must not say.
  it.each([
    ['planeks-8', ['may complicate'], []],
    ['planeks-9', ['may require'], []],
    ['planeks-22', ['slightly less'], []],
    ['planeks-26', ['may be outdated'], []],
    ['titans-33', ['can be more fragmented'], []],
    ['planeks-34', ['relatively higher', 'may'], ['Concedes']],
    ['site24x7-19', ['well suited'], ['better suited', 'than Node.js']],
    ['titans-14', ['Python', 'gentle'], ['gives Django a gentle']],
    ['titans-15', ['at first'], []],
    ['titans-16', ['fraction of the time'], []],
    ['titans-17', ['comparatively faster'], []],
    ['titans-41', ['can simplify'], []],
    ['suitability-7', ['relatively gentle'], []],
    ['planeks-20', ['reduces the need'], ['spare']],
  ] as const)('%s keeps its hedge: says %j and not %j', (id, keeps, avoids) => {
    const text = claim(id).text;
    for (const words of keeps) expect(text).toContain(words);
    for (const words of avoids) expect(text).not.toContain(words);
  });

  it('the startups claim from PLANEKS is about development speed, not cost', () => {
    const startups = claims.find(({ claim }) => /startups/.test(claim.text));
    expect(startups?.criterion.key).toBe('development-speed');
  });

  it('the Django security evidence names SQL injection, XSS, CSRF and clickjacking', () => {
    const security = template.criteria.find((c) => c.key === 'security');
    const djangoText = (security?.evidence ?? [])
      .filter((claim) => claim.option === 'django')
      .map((claim) => claim.text)
      .join(' ');
    for (const threat of ['SQL injection', 'XSS', 'CSRF', 'clickjacking'])
      expect(djangoText).toContain(threat);
  });

  it('the performance evidence carries the req/sec figures of both options', () => {
    const performance = template.criteria.find((c) => c.key === 'performance');
    const claimAbout = (option: string) =>
      (performance?.evidence ?? [])
        .filter((claim) => claim.option === option)
        .map((claim) => claim.text)
        .join(' ');
    expect(claimAbout('node')).toMatch(/10,000\s*[–-]\s*50,000 requests per second/);
    expect(claimAbout('django')).toMatch(/1,000\s*[–-]\s*5,000 requests per second/);
  });
});

// ---------------------------------------------------------------------------------------------
// Fidelity to the articles themselves. The five seed articles live outside the repository
// (../shared/seeds next to the repository or its main checkout, or SEEDS_DIR); where they are absent these checks
// are skipped with a message, and the rest of the suite still runs.
// ---------------------------------------------------------------------------------------------

/**
 * The checkout this repository belongs to: itself, or for a git worktree (whose ".git" is a file
 * "gitdir: <main>/.git/worktrees/<name>") the main checkout, next to which ../shared lives too.
 */
function mainCheckoutOf(root: string): string {
  const dotGit = path.join(root, '.git');
  if (!existsSync(dotGit) || !statSync(dotGit).isFile()) return root;
  const gitdir = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
  const marker = `${path.sep}.git${path.sep}worktrees${path.sep}`;
  return gitdir?.includes(marker) ? gitdir.slice(0, gitdir.indexOf(marker)) : root;
}
const SEEDS_DIR =
  process.env.SEEDS_DIR ??
  [REPO_ROOT, mainCheckoutOf(REPO_ROOT)]
    .map((root) => path.resolve(root, '../shared/seeds'))
    .find((dir) => existsSync(dir)) ??
  path.resolve(REPO_ROOT, '../shared/seeds');
const SEEDS_PRESENT = existsSync(SEEDS_DIR);
const SEEDS_ABSENT_MESSAGE = `seed articles not found at ${SEEDS_DIR} (set SEEDS_DIR to check against them)`;
/** Which seed file holds the article each source id of the default template names. */
const SEED_FILE_OF_SOURCE: Record<string, string> = {
  showdown: '000_1bd3b7b34f45fd5a.txt',
  titans: '001_bd26c0783f43d06b.txt',
  suitability: '002_e341095d85db5f1b.txt',
  planeks: '003_9e91e96a485c9df6.txt',
  site24x7: '004_766e955279bfa040.txt',
};
/** Claims are in our own words: this many consecutive words shared with an article is a copy. */
const MAX_SHARED_RUN_WORDS = 9;

/** The first run of more than MAX_SHARED_RUN_WORDS words of `text` that `source` also contains, or null. */
function sharedRun(text: string, sourceRuns: Set<string>): string | null {
  const w = words(text);
  const n = MAX_SHARED_RUN_WORDS + 1;
  for (let i = 0; i + n <= w.length; i++) {
    const run = w.slice(i, i + n).join(' ');
    if (sourceRuns.has(run)) return run;
  }
  return null;
}

function runsOf(source: string): Set<string> {
  const w = words(source);
  const n = MAX_SHARED_RUN_WORDS + 1;
  const runs = new Set<string>();
  for (let i = 0; i + n <= w.length; i++) runs.add(w.slice(i, i + n).join(' '));
  return runs;
}

/** The lines of an article that can be headings: trimmed, without Markdown "#" or "**". */
function headingLines(article: string): string[] {
  return article.split(/\r?\n/).map((line) =>
    line
      .trim()
      .replace(/^#+\s*/, '')
      .replace(/^\*\*(.*)\*\*$/, '$1')
      .trim(),
  );
}

/**
 * Why a locator does not lead into its article, or null when it does: each part of
 * "Section › Subsection" must be a line of the article, after the previous part. A part that
 * starts with "(" is our own pointer to an untitled stretch; a trailing "(…)" is a note.
 */
function locatorProblem(locator: string, article: string): string | null {
  const lines = headingLines(article);
  let from = 0;
  for (const part of locator.split(' › ')) {
    if (part.startsWith('(')) continue;
    const heading = part.replace(/\s*\([^)]*\)$/, '').trim();
    const at = lines.indexOf(heading, from);
    if (at < 0) return `no heading "${heading}"${from > 0 ? ' after the previous part' : ''}`;
    from = at + 1;
  }
  return null;
}

describe('the text of every template against the seed articles', () => {
  const seeds = SEEDS_PRESENT
    ? readdirSync(SEEDS_DIR)
        .filter((f) => f.endsWith('.txt'))
        .sort()
        .map((file) => ({ file, text: readFileSync(path.join(SEEDS_DIR, file), 'utf8') }))
    : [];
  const seedRuns = seeds.map(({ file, text }) => ({ file, runs: runsOf(text) }));

  /** Every sentence a template writes in its own voice (source titles and locators are quotations). */
  function ownWords(template: BoardTemplate): { where: string; text: string }[] {
    return [
      { where: 'context', text: template.context },
      { where: 'question', text: template.question },
      ...template.options.map((o) => ({ where: `option ${o.key}`, text: o.description })),
      ...template.criteria.flatMap((c) => [
        { where: `criterion ${c.key}`, text: c.description },
        ...c.evidence.map((e) => ({ where: e.id ?? c.key, text: e.text })),
        ...c.evidence.flatMap((e) =>
          isEditorialCheck(e) ? [{ where: `${e.id ?? c.key} basis`, text: e.editorial.basis }] : [],
        ),
        ...(c.contested ? [{ where: `${c.key} contested`, text: c.contested.summary }] : []),
      ]),
    ];
  }

  it.for(templateFiles)(
    '$file shares no run of 10 or more consecutive words with any seed article',
    ({ raw }, ctx) => {
      ctx.skip(!SEEDS_PRESENT, SEEDS_ABSENT_MESSAGE);
      expect(seeds.length).toBeGreaterThanOrEqual(5);
      const copies = ownWords(boardTemplateSchema.parse(raw)).flatMap(({ where, text }) =>
        seedRuns.flatMap(({ file, runs }) => {
          const run = sharedRun(text, runs);
          return run === null ? [] : [`${where} repeats ${file}: "${run}"`];
        }),
      );
      expect(copies).toEqual([]);
    },
  );

  it("every claim's locator names headings of its own article, in order", (ctx) => {
    ctx.skip(!SEEDS_PRESENT, SEEDS_ABSENT_MESSAGE);
    const template = loadTemplate(DEFAULT_TEMPLATE_ID);
    const problems = claimsOf(template).flatMap(({ claim }) => {
      const file = SEED_FILE_OF_SOURCE[claim.source];
      if (file === undefined) return [`${claim.id}: no seed article for source "${claim.source}"`];
      const problem = locatorProblem(claim.locator ?? '', readFileSync(path.join(SEEDS_DIR, file), 'utf8'));
      return problem === null ? [] : [`${claim.id} (${claim.locator}): ${problem}`];
    });
    expect(problems).toEqual([]);
  });
});

describe('the copy and locator checks themselves', () => {
  const article =
    '# Title\n## Key Points\n### Speed\nNode.js, with its non-blocking I/O model, handles thousands of concurrent ' +
    'connections without blocking the event loop.\n### Cost\nIt depends.\n';

  it('ignore case, punctuation and quote styles when comparing words', () => {
    expect(words('Django’s “cross-site” 10,000 req/sec!')).toEqual([
      'djangos',
      'cross',
      'site',
      '10',
      '000',
      'req',
      'sec',
    ]);
  });

  it('find a run of ten words copied with other punctuation and case, and nothing shorter', () => {
    const runs = runsOf(article);
    expect(
      sharedRun('Says NODE.JS — with its non-blocking I/O model — handles thousands of users.', runs),
    ).toBe('node js with its non blocking i o model handles');
    expect(sharedRun('Says Node.js, with its non-blocking I/O model, copes well.', runs)).toBeNull();
  });

  it('accept a locator whose parts are headings in order, with notes in parentheses', () => {
    expect(locatorProblem('Key Points › Speed', article)).toBeNull();
    expect(locatorProblem('Key Points › Cost (last line)', article)).toBeNull();
    expect(locatorProblem('(untitled opening), the first paragraph', article)).toBeNull();
  });

  it('refuse a locator with a heading the article lacks, or parts out of order', () => {
    expect(locatorProblem('Key Points › Security', article)).toBe(
      'no heading "Security" after the previous part',
    );
    expect(locatorProblem('Speed › Key Points', article)).toBe(
      'no heading "Key Points" after the previous part',
    );
    expect(locatorProblem('Performance', article)).toBe('no heading "Performance"');
  });
});

describe('the blank template', () => {
  const template = loadTemplate('blank');

  it('has two unnamed options, no question, no criteria, no evidence and no sources', () => {
    expect(template.question).toBe('');
    expect(template.options.map((o) => [o.key, o.name, o.description])).toEqual([
      ['option-a', '', ''],
      ['option-b', '', ''],
    ]);
    expect(template.criteria).toEqual([]);
    expect(claimsOf(template)).toEqual([]);
    expect(template.sources).toEqual([]);
  });
});

describe('the template schema', () => {
  /** The template with its criterion's contested marker and extra evidence replaced. */
  function withEvidence(extra: unknown[], contested: unknown = null) {
    const template = minimalTemplate();
    const [criterion] = template.criteria as Array<Record<string, unknown>>;
    if (criterion) {
      criterion.evidence = [...(criterion.evidence as unknown[]), ...extra];
      criterion.contested = contested;
    }
    return template;
  }
  const issuesOf = (raw: unknown) => boardTemplateSchema.safeParse(raw).error?.issues ?? [];

  it('accepts a well-formed template with a comparative claim, a check and a contested marker', () => {
    expect(issuesOf(minimalTemplate())).toEqual([]);
    expect(issuesOf(withClaim({ option: null, text: 'A beats B.', source: 'article' }))).toEqual([]);
    expect(
      issuesOf(
        withEvidence(
          [
            {
              id: 'check-1',
              option: 'a',
              text: 'Doubtful.',
              editorial: { basis: 'A manual', checks: ['article-1'] },
            },
          ],
          { summary: 'Is A quick?', claims: ['article-1', 'article-2'] },
        ),
      ),
    ).toEqual([]);
  });

  it('rejects a claim that cites an unknown source', () => {
    expect(issuesOf(withClaim({ option: 'a', text: 'A is quick.', source: 'nowhere' }))).toContainEqual(
      expect.objectContaining({
        path: ['criteria', 0, 'evidence', 0, 'source'],
        message: 'unknown source "nowhere"',
      }),
    );
  });

  it('rejects a claim about an option the template does not have', () => {
    expect(issuesOf(withClaim({ option: 'c', text: 'C is quick.', source: 'article' }))).toContainEqual(
      expect.objectContaining({
        path: ['criteria', 0, 'evidence', 0, 'option'],
        message: 'unknown option "c"',
      }),
    );
  });

  it('rejects two evidence items with the same id', () => {
    expect(
      issuesOf(withEvidence([{ id: 'article-1', option: 'b', text: 'B is quick.', source: 'article' }])),
    ).toContainEqual(expect.objectContaining({ message: 'evidence id "article-1" is used twice' }));
  });

  it('rejects a contested marker that lists an unknown claim, one claim twice, or a single claim', () => {
    expect(
      issuesOf(withEvidence([], { summary: 'Is A quick?', claims: ['article-1', 'nowhere-1'] })),
    ).toContainEqual(
      expect.objectContaining({
        path: ['criteria', 0, 'contested', 'claims', 1],
        message: 'no claim "nowhere-1"',
      }),
    );
    expect(
      issuesOf(withEvidence([], { summary: 'Is A quick?', claims: ['article-1', 'article-1'] })),
    ).toContainEqual(expect.objectContaining({ message: 'claim "article-1" is listed twice' }));
    expect(issuesOf(withEvidence([], { summary: 'Is A quick?', claims: ['article-1'] }))).not.toEqual([]);
  });

  it('rejects an editorial check without a basis, or checking something that is not an article claim', () => {
    expect(
      issuesOf(
        withEvidence([
          { id: 'check-1', option: 'a', text: 'Doubtful.', editorial: { basis: ' ', checks: ['article-1'] } },
        ]),
      ),
    ).not.toEqual([]);
    const checkingACheck = withEvidence([
      {
        id: 'check-1',
        option: 'a',
        text: 'Doubtful.',
        editorial: { basis: 'A manual', checks: ['article-1'] },
      },
      {
        id: 'check-2',
        option: 'a',
        text: 'Also doubtful.',
        editorial: { basis: 'A manual', checks: ['check-1'] },
      },
    ]);
    expect(issuesOf(checkingACheck)).toContainEqual(
      expect.objectContaining({ path: ['criteria', 0, 'evidence', 3, 'editorial', 'checks', 0] }),
    );
    // A contested side must be an article's claim too, never the board's own note.
    const contestingACheck = withEvidence(
      [
        {
          id: 'check-1',
          option: 'a',
          text: 'Doubtful.',
          editorial: { basis: 'A manual', checks: ['article-1'] },
        },
      ],
      { summary: 'Is A quick?', claims: ['article-1', 'check-1'] },
    );
    expect(issuesOf(contestingACheck)).toContainEqual(
      expect.objectContaining({ message: 'no claim "check-1"' }),
    );
  });

  it('rejects a claim with empty text', () => {
    expect(issuesOf(withClaim({ option: 'a', text: '   ', source: 'article' }))).not.toEqual([]);
  });
});
