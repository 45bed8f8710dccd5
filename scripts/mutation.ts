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
const doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : `# Mutation testing\n\n${START}\n${END}\n`;
const a = doc.indexOf(START);
const b = doc.indexOf(END);
const earlier = a >= 0 && b > a ? earlierRows(doc.slice(a, b)) : { rows: new Map(), survivors: new Map() };

/** Score rows and survivor rows by module: from this machine's reports, else from the doc. */
const rows = new Map<string, string>();
const survivors = new Map<string, string[]>();
const measuredHere = new Set<string>();
const norm = (text: string) => text.replace(/\s+/g, ' ').trim();
const cell = (text: string) => norm(text).replace(/\|/g, '\\|').slice(0, 70);
for (const { group, report: reportName, file } of reportFiles()) {
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
  const measured = measuredCell(reportName, file);
  for (const [name, { source, mutants }] of Object.entries(report.files)) {
    // Reports come newest first: a module measured again keeps its newest report.
    if (measuredHere.has(name)) continue;
    measuredHere.add(name);
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
    rows.set(
      name,
      `| \`${name}\` | ${group} | ${measured} | ${mutants.length} | ${detected} | ${explained.length} | ${undetected.length - explained.length} | ${raw.toFixed(1)}% | **${score.toFixed(1)}%** |`,
    );
    survivors.set(
      name,
      undetected
        .sort((a, b) => a.location.start.line - b.location.start.line)
        .map((m) => {
          const e = equivalentOf(m);
          return `| \`${name}:${m.location.start.line}\` | ${m.mutatorName} | \`${cell(m.replacement ?? '')}\` | ${e ? `equivalent: ${cell(e.why).slice(0, 200)}` : m.status} |`;
        }),
    );
  }
}
// A module without a report here keeps the row (and survivors) of its last measurement, with
// the date that row carries: one machine need not hold every group's report.
for (const [name, row] of earlier.rows) {
  if (rows.has(name)) continue;
  rows.set(name, row);
  survivors.set(name, earlier.survivors.get(name) ?? []);
}
// Only a module measured here can tell whether an entry still matches a survivor.
const stale = equivalents.filter((e) => !used.has(e) && measuredHere.has(e.file));
for (const e of stale)
  console.warn(`stale equivalent (matches no survivor): ${e.file} ${e.mutator} ${e.line}`);

const order = [...rows.keys()].sort((x, y) => groupIndex(x) - groupIndex(y) || x.localeCompare(y));
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`;
const table = [
  START,
  `StrykerJS ${strykerVersion()}, Vitest runner, per-test coverage; rows measured here on ${machine}.`,
  '"measured" gives each row\'s date (UTC) and its tests: "all" is the group\'s whole test set',
  '(`npm run test:mutation`); "subset" names the suites a run was narrowed to (`MUTATION_TESTS`),',
  'its score is then a lower bound.',
  '',
  'Score = detected / (detected + undetected − equivalent); "raw" counts every undetected mutant.',
  '',
  '| module | group | measured | mutants | detected | equivalent | undetected | raw | score |',
  '|---|---|---|---:|---:|---:|---:|---:|---:|',
  ...order.map((name) => rows.get(name)),
  '',
  '<details><summary>Every undetected mutant, and why it is equivalent where it is</summary>',
  '',
  '| where | mutator | replacement | status |',
  '|---|---|---|---|',
  ...order.flatMap((name) => survivors.get(name) ?? []),
  '',
  '</details>',
  END,
].join('\n');

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

/** The score rows and survivor rows of the table now in the doc, by module. */
function earlierRows(block: string): { rows: Map<string, string>; survivors: Map<string, string[]> } {
  const rows = new Map<string, string>();
  const survivors = new Map<string, string[]>();
  for (const line of block.split('\n')) {
    const where = /^\| `([^`:]+):\d+` \|/.exec(line);
    if (where) {
      const list = survivors.get(where[1]!) ?? [];
      list.push(line);
      survivors.set(where[1]!, list);
      continue;
    }
    const row = /^\| `([^`]+)` \| (\w+) \|/.exec(line);
    if (row) rows.set(row[1]!, line);
  }
  return { rows, survivors };
}

function groupIndex(module: string): number {
  const row = /^\| `[^`]+` \| (\w+) \|/.exec(rows.get(module) ?? '');
  const i = Object.keys(MUTATION_GROUPS).indexOf(row?.[1] ?? '');
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

/**
 * This machine's reports, newest first: `<group>.json`, and `<group>-<files>.json` for runs that
 * mutated only some of a group's files (MUTATION_FILES).
 */
function reportFiles(): { group: string; report: string; file: string }[] {
  if (!fs.existsSync(REPORTS)) return [];
  const found: { group: string; report: string; file: string; time: number }[] = [];
  for (const entry of fs.readdirSync(REPORTS)) {
    const match = /^(\w+)(-[^.]+)?\.json$/.exec(entry);
    if (!match || !(match[1]! in MUTATION_GROUPS)) continue;
    const file = path.join(REPORTS, entry);
    found.push({
      group: match[1]!,
      report: entry.slice(0, -'.json'.length),
      file,
      time: fs.statSync(file).mtimeMs,
    });
  }
  return found.sort((x, y) => y.time - x.time);
}

/**
 * When and with which tests a group's report was made: the report file's time, and the run's
 * record that stryker.config.mjs writes next to it (MUTATION_TESTS, a --mutate narrowing).
 */
function measuredCell(report: string, reportFile: string): string {
  const when = `${fs.statSync(reportFile).mtime.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const runFile = path.join(REPORTS, `${report}.run.json`);
  if (!fs.existsSync(runFile)) return `${when}, all`;
  const run = JSON.parse(fs.readFileSync(runFile, 'utf8')) as { tests: string[] };
  if (run.tests.length === 0) return `${when}, all`;
  return `${when}, subset: ${run.tests.map((t) => `\`${path.basename(t)}\``).join(', ')}`;
}
