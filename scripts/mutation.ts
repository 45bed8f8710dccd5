import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MUTATION_GROUPS } from './mutation-groups.mjs';

/**
 * `npm run test:mutation [-- --group room --group session]`: runs StrykerJS for each group of
 * modules (scripts/mutation-groups.mjs) with the tests that target it, then writes the score
 * table and the list of surviving mutants into docs/MUTATION.md (between its markers). The
 * explanations of the survivors are written by hand below the markers.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const REPORTS = path.join(ROOT, 'reports/mutation');
const DOC = path.join(ROOT, 'docs/MUTATION.md');
const START = '<!-- mutation-scores:start -->';
const END = '<!-- mutation-scores:end -->';

interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

/**
 * A surviving mutant judged equivalent by hand (scripts/mutation-equivalents.json): it matches
 * by file, mutator, replacement and the text of its source line, so it survives edits elsewhere
 * in the file; an entry that matches no survivor any more is reported as stale.
 */
interface Equivalent {
  file: string;
  mutator: string;
  replacement: string;
  line: string;
  why: string;
}
const EQUIVALENTS_FILE = path.join(ROOT, 'scripts/mutation-equivalents.json');
const equivalents = JSON.parse(fs.readFileSync(EQUIVALENTS_FILE, 'utf8')) as Equivalent[];
const used = new Set<Equivalent>();

const { values } = parseArgs({
  options: { group: { type: 'string', multiple: true }, 'report-only': { type: 'boolean' } },
});
const groups = values.group?.length ? values.group : Object.keys(MUTATION_GROUPS);
for (const g of groups) if (!(g in MUTATION_GROUPS)) throw new Error(`unknown group "${g}"`);

if (!values['report-only']) {
  for (const group of groups) {
    console.log(`\n=== mutation group ${group} ===`);
    const r = spawnSync('npx', ['stryker', 'run'], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, MUTATION_GROUP: group },
    });
    if (r.status !== 0) console.error(`stryker failed for ${group} (exit ${r.status})`);
  }
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const rows: string[] = [];
const survivors: string[] = [];
const norm = (text: string) => text.replace(/\s+/g, ' ').trim();
const cell = (text: string) => norm(text).replace(/\|/g, '\\|').slice(0, 70);
for (const group of Object.keys(MUTATION_GROUPS)) {
  const file = path.join(REPORTS, `${group}.json`);
  if (!fs.existsSync(file)) continue;
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
  for (const [name, { source, mutants }] of Object.entries(report.files).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const lines = source.split('\n');
    const equivalentOf = (m: Mutant) =>
      equivalents.find(
        (e) =>
          e.file === name &&
          e.mutator === m.mutatorName &&
          norm(e.replacement) === norm(m.replacement ?? '') &&
          norm(e.line) === norm(lines[m.location.start.line - 1] ?? ''),
      );
    const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
    const undetected = mutants.filter((m) => UNDETECTED.has(m.status));
    const explained = undetected.filter((m) => {
      const e = equivalentOf(m);
      if (e) used.add(e);
      return e !== undefined;
    });
    const valid = detected + undetected.length - explained.length;
    const score = valid === 0 ? 100 : (detected / valid) * 100;
    const raw = detected + undetected.length === 0 ? 100 : (detected / (detected + undetected.length)) * 100;
    rows.push(
      `| \`${name}\` | ${group} | ${mutants.length} | ${detected} | ${explained.length} | ${undetected.length - explained.length} | ${raw.toFixed(1)}% | **${score.toFixed(1)}%** |`,
    );
    for (const m of undetected.sort((a, b) => a.location.start.line - b.location.start.line)) {
      const e = equivalentOf(m);
      survivors.push(
        `| \`${name}:${m.location.start.line}\` | ${m.mutatorName} | \`${cell(m.replacement ?? '')}\` | ${e ? `equivalent: ${cell(e.why).slice(0, 200)}` : m.status} |`,
      );
    }
  }
}
const stale = equivalents.filter((e) => !used.has(e));
for (const e of stale)
  console.warn(`stale equivalent (matches no survivor): ${e.file} ${e.mutator} ${e.line}`);

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`;
const table = [
  START,
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machine} with \`npm run test:mutation\``,
  `(StrykerJS ${strykerVersion()}, Vitest runner, per-test coverage).`,
  '',
  'Score = detected / (detected + undetected − equivalent); "raw" counts every undetected mutant.',
  '',
  '| module | group | mutants | detected | equivalent | undetected | raw | score |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...rows,
  '',
  '<details><summary>Every undetected mutant, and why it is equivalent where it is</summary>',
  '',
  '| where | mutator | replacement | status |',
  '|---|---|---|---|',
  ...survivors,
  '',
  '</details>',
  END,
].join('\n');

const doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : `# Mutation testing\n\n${START}\n${END}\n`;
const a = doc.indexOf(START);
const b = doc.indexOf(END);
fs.writeFileSync(
  DOC,
  a >= 0 && b > a ? doc.slice(0, a) + table + doc.slice(b + END.length) : `${doc}\n${table}\n`,
);
console.log(`\nwrote ${path.relative(ROOT, DOC)}`);

function strykerVersion(): string {
  try {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'node_modules/@stryker-mutator/core/package.json'), 'utf8'),
    ) as { version: string };
    return pkg.version;
  } catch {
    return '?';
  }
}
