import fs from 'node:fs';
import path from 'node:path';

/**
 * `npx tsx scripts/mutation-survivors.ts guard [--all]`: prints the undetected mutants of a
 * group's last report (reports/mutation/<group>.json), one per line with the source line they
 * change, so they can be read next to the code. `--all` prints every status, not only survivors.
 */
interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

const args = process.argv.slice(2);
const group = args.find((a) => !a.startsWith('--')) ?? 'guard';
const all = args.includes('--all');
const file = path.resolve(import.meta.dirname, '..', 'reports/mutation', `${group}.json`);
const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
const counts = new Map<string, number>();
for (const [name, { source, mutants }] of Object.entries(report.files)) {
  const lines = source.split('\n');
  for (const m of [...mutants].sort((a, b) => a.location.start.line - b.location.start.line)) {
    counts.set(m.status, (counts.get(m.status) ?? 0) + 1);
    if (!all && m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
    const line = m.location.start.line;
    const text = (lines[line - 1] ?? '').trim().slice(0, 100);
    const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 60);
    console.log(`${name}:${line} ${m.status} ${m.mutatorName} → ${replacement}\n    ${text}`);
  }
}
console.log([...counts].map(([s, n]) => `${s}: ${n}`).join(', '));
