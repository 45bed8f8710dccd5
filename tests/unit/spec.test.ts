import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/SPEC.md and the tests agree: every rule is cited by at least one test (in its name,
 * as `[D2]`), and every rule a test cites exists.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const RULE = /^- \*\*([A-Z]\d+)\*\* /gm;
const CITATION = /\[([A-Z]\d+)\]/g;

function ruleIds(): string[] {
  const spec = fs.readFileSync(path.join(ROOT, 'docs/SPEC.md'), 'utf8');
  return [...spec.matchAll(RULE)].map((m) => m[1]!);
}

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === '__golden__' ? [] : testFiles(p);
    return /\.(test|spec)\.ts$/.test(e.name) ? [p] : [];
  });
}

/** Rule ids cited in test names (the first string argument of it/test/describe). */
function citations(): Map<string, string[]> {
  const cited = new Map<string, string[]>();
  for (const file of testFiles(path.join(ROOT, 'tests'))) {
    const source = fs.readFileSync(file, 'utf8');
    for (const name of source.matchAll(/\b(?:it|test|describe)(?:\.each\([^)]*?\))?\(\s*(['"`])(.*?)\1/gs)) {
      for (const c of name[2]!.matchAll(CITATION)) {
        const list = cited.get(c[1]!) ?? [];
        list.push(path.relative(ROOT, file));
        cited.set(c[1]!, list);
      }
    }
  }
  return cited;
}

describe('docs/SPEC.md and the tests', () => {
  const rules = ruleIds();
  const cited = citations();

  it('has rules, each with a unique id', () => {
    expect(rules.length).toBeGreaterThan(30);
    expect(new Set(rules).size).toBe(rules.length);
  });

  it('every rule is cited by at least one test name', () => {
    expect(rules.filter((id) => !cited.has(id))).toEqual([]);
  });

  it('every rule a test cites exists in the spec', () => {
    expect([...cited.keys()].filter((id) => !rules.includes(id))).toEqual([]);
  });
});
