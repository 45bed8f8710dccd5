import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BoardTemplate, boardTemplateSchema } from '@/lib/template';

const TEMPLATES_DIR = path.resolve(import.meta.dirname, '../../lib/templates');
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

function claimsOf(template: BoardTemplate) {
  return template.criteria.flatMap((criterion) => criterion.evidence.map((claim) => ({ criterion, claim })));
}

/** Case, spacing and final punctuation do not make two claims different. */
function normalized(text: string): string {
  return text
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[.!?]+$/, '')
    .trim();
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
        evidence: [{ option: 'a', text: 'A is quick.', source: 'article' }],
        contested: null,
      },
    ],
    sources: [{ id: 'article', title: 'An article' }],
  };
}

function withClaim(claim: { option: string | null; text: string; source: string }) {
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
    expect(claims.length).toBeGreaterThanOrEqual(60);
    for (const { criterion, claim } of claims) {
      expect(criterion.key).not.toBe('');
      expect(claim.text.trim()).not.toBe('');
      expect(sourceIds).toContain(claim.source);
      if (claim.option !== null) expect(optionKeys).toContain(claim.option);
    }
  });

  it('a claim without an option is comparative and names both options', () => {
    const comparative = claims.filter(({ claim }) => claim.option === null);
    expect(comparative.length).toBeGreaterThan(0);
    for (const { claim } of comparative) {
      for (const option of template.options) expect(claim.text).toContain(option.name);
    }
  });

  it('every claim is one short sentence', () => {
    for (const { claim } of claims) {
      expect(claim.text.length, claim.text).toBeLessThanOrEqual(MAX_CLAIM_CHARS);
      expect(claim.text, 'a second sentence starts inside the claim').not.toMatch(/[.!?]\s+[A-Z]/);
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
        const about = criterion.evidence.filter((claim) => claim.option === option.key);
        expect(about.length, `${criterion.key} / ${option.key}`).toBeGreaterThan(0);
      }
    }
  });

  it('flags learning curve, scalability, performance and ecosystem as contested', () => {
    const contested = template.criteria.filter((c) => c.contested !== null).map((c) => c.key);
    expect(contested).toEqual(
      expect.arrayContaining(['learning-curve', 'scalability', 'performance', 'ecosystem']),
    );
  });

  it('every contested point has a summary and at least two sides that disagree, from known sources', () => {
    for (const criterion of template.criteria) {
      const contested = criterion.contested;
      if (contested === null) continue;
      expect(contested.summary.trim()).not.toBe('');
      expect(contested.sides.length).toBeGreaterThanOrEqual(2);
      for (const side of contested.sides) expect(sourceIds).toContain(side.source);
      // Two different articles, or one article saying two different things.
      const sources = new Set(contested.sides.map((s) => s.source));
      const claimsBySide = new Set(contested.sides.map((s) => normalized(s.claim)));
      expect(claimsBySide.size, criterion.key).toBe(contested.sides.length);
      expect(sources.size >= 2 || claimsBySide.size >= 2, criterion.key).toBe(true);
    }
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
  it('accepts a well-formed template with a comparative claim', () => {
    expect(boardTemplateSchema.safeParse(minimalTemplate()).success).toBe(true);
    expect(
      boardTemplateSchema.safeParse(withClaim({ option: null, text: 'A beats B.', source: 'article' }))
        .success,
    ).toBe(true);
  });

  it('rejects a claim that cites an unknown source', () => {
    const result = boardTemplateSchema.safeParse(
      withClaim({ option: 'a', text: 'A is quick.', source: 'nowhere' }),
    );
    expect(result.success).toBe(false);
    expect(result.error?.issues).toContainEqual(
      expect.objectContaining({
        path: ['criteria', 0, 'evidence', 0, 'source'],
        message: 'unknown source "nowhere"',
      }),
    );
  });

  it('rejects a claim about an option the template does not have', () => {
    const result = boardTemplateSchema.safeParse(
      withClaim({ option: 'c', text: 'C is quick.', source: 'article' }),
    );
    expect(result.success).toBe(false);
    expect(result.error?.issues).toContainEqual(
      expect.objectContaining({
        path: ['criteria', 0, 'evidence', 0, 'option'],
        message: 'unknown option "c"',
      }),
    );
  });

  it('rejects a contested side that cites an unknown source', () => {
    const template = minimalTemplate();
    const [criterion] = template.criteria as Array<Record<string, unknown>>;
    if (criterion) {
      criterion.contested = {
        summary: 'Is A quick?',
        sides: [
          { source: 'article', claim: 'A is quick.' },
          { source: 'nowhere', claim: 'A is slow.' },
        ],
      };
    }
    const result = boardTemplateSchema.safeParse(template);
    expect(result.success).toBe(false);
    expect(result.error?.issues).toContainEqual(
      expect.objectContaining({ path: ['criteria', 0, 'contested', 'sides', 1, 'source'] }),
    );
  });

  it('rejects a claim with empty text', () => {
    expect(
      boardTemplateSchema.safeParse(withClaim({ option: 'a', text: '   ', source: 'article' })).success,
    ).toBe(false);
  });
});
