import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Builds the UI when the production build is missing or older than its sources, so
 * `npm start` works straight after `npm install`. Staleness is a content hash of every
 * input of `next build`, not a timestamp (a fresh clone has arbitrary mtimes).
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const STAMP = path.join(ROOT, '.next', 'decision-board-build.hash');
const INPUTS = ['app', 'components', 'lib', 'public'];
const FILES = [
  'next.config.ts',
  'proxy.ts',
  'postcss.config.mjs',
  'tsconfig.json',
  'package-lock.json',
  'package.json',
];

function walk(dir: string, out: string[]): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else out.push(p);
  }
}

export function sourceHash(): string {
  const files: string[] = [];
  for (const d of INPUTS) walk(path.join(ROOT, d), files);
  for (const f of FILES) if (fs.existsSync(path.join(ROOT, f))) files.push(path.join(ROOT, f));
  const h = createHash('sha256');
  for (const f of files.sort()) {
    h.update(path.relative(ROOT, f));
    h.update(fs.readFileSync(f));
  }
  return h.digest('hex');
}

export function buildIfStale(): void {
  const hash = sourceHash();
  const built = fs.existsSync(path.join(ROOT, '.next', 'BUILD_ID')) && fs.existsSync(STAMP);
  if (built && fs.readFileSync(STAMP, 'utf8') === hash) return;
  console.log(
    built
      ? 'Sources changed since the last build: building the UI…'
      : 'No production build yet: building the UI…',
  );
  const result = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
    },
  );
  if (result.status !== 0) {
    console.error('next build failed');
    process.exit(result.status ?? 1);
  }
  fs.writeFileSync(STAMP, hash);
}

if (import.meta.url === `file://${process.argv[1]}`) buildIfStale();
